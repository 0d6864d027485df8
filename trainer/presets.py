"""The model family people walk through when they start looking inside MLPs.

A preset is a complete training configuration; command-line flags override any part of it.
"""
from __future__ import annotations

import copy

BASE = {
    "units": [128, 64],
    "activation": "relu",
    "batchnorm": False,
    "dropout": [0.0, 0.0],
    "l1": 0.0,
    "lr": 1e-3,
    "optimizer": "adam",
    "epochs": 100,
    "batch_size": 32,
    "early_stopping": True,
    "patience": 5,
    "digits": list(range(10)),
}

PRESETS = {
    "binary01": {"units": [25, 15], "activation": "sigmoid", "dropout": [0.0, 0.0], "l1": 1e-5,
                 "digits": [0, 1]},
    "sigmoid": {"units": [25, 15], "activation": "sigmoid", "dropout": [0.0, 0.0]},
    "relu": {},
    "dropout": {"dropout": [0.1, 0.05]},
    "l1": {"l1": 1e-5},
    "l1-dropout": {"l1": 1e-5, "dropout": [0.1, 0.05]},
    "final": {"batchnorm": True, "dropout": [0.1, 0.05]},
}

ACTIVATIONS = ("relu", "sigmoid", "tanh")
MAX_UNITS = 4096
MAX_EPOCHS = 10_000


def resolve(preset: str, overrides: dict) -> dict:
    """The full configuration: the preset on top of BASE, then every override that was given."""
    config = copy.deepcopy(BASE)
    config.update(copy.deepcopy(PRESETS[preset]))
    config.update({key: value for key, value in overrides.items() if value is not None})
    if len(config["dropout"]) == 1:
        config["dropout"] = config["dropout"] * len(config["units"])
    if len(config["dropout"]) != len(config["units"]):
        raise ValueError(f"--dropout needs one rate, or one per hidden layer "
                         f"({len(config['units'])}), got {len(config['dropout'])}")
    binary = config["digits"] == [0, 1]
    config.update(preset=preset,
                  output_units=1 if binary else 10,
                  output_activation="sigmoid" if binary else "softmax",
                  loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy")
    return config
