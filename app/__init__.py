"""Neuron Lens dashboard (Plotly Dash). Reads runs through `neurons`; never imports TensorFlow."""
import os

# The core's products are small; a BLAS thread pool per request only fights the server's own
# threads (measured: up to 100x slower small matrix products on a busy 2-core machine).
# Set before anything imports numpy; an explicit setting in the environment wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
