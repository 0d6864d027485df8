"""Neuron Lens dashboard (Plotly Dash). Reads runs through `neurons`; never imports TensorFlow."""
