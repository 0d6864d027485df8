"""Neuron Lens trainer: trains Keras MLPs on MNIST and writes run folders (see neurons.runformat).

`trainer.SnapshotCallback` is the public Keras callback; it is imported on first use so that
`python -m trainer --help` and flag errors answer without loading TensorFlow.
"""


def __getattr__(name):
    if name == "SnapshotCallback":
        from trainer.snapshot_callback import SnapshotCallback
        return SnapshotCallback
    raise AttributeError(f"module 'trainer' has no attribute {name!r}")
