"""Builds the MLP a configuration describes, with the stable layer names the run format uses."""
from __future__ import annotations

import keras


def build_model(config: dict) -> keras.Model:
    regularizer = keras.regularizers.L1(config["l1"]) if config["l1"] else None
    layers = [keras.Input(shape=(784,), name="pixels")]
    for position, (units, rate) in enumerate(zip(config["units"], config["dropout"]), start=1):
        layers.append(keras.layers.Dense(units, activation=config["activation"],
                                         kernel_regularizer=regularizer, name=f"dense_{position}"))
        if config["batchnorm"]:
            layers.append(keras.layers.BatchNormalization(name=f"batchnorm_{position}"))
        if rate:
            layers.append(keras.layers.Dropout(rate, name=f"dropout_{position}"))
    layers.append(keras.layers.Dense(config["output_units"], activation=config["output_activation"],
                                     kernel_regularizer=regularizer, name="output"))
    model = keras.Sequential(layers, name=config["preset"].replace("-", "_"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=config["lr"]),
                  loss=config["loss"], metrics=["accuracy"])
    return model
