"""Early stopping that continues where an interrupted run left off."""
from __future__ import annotations

import keras


class ResumedEarlyStopping(keras.callbacks.EarlyStopping):
    """keras EarlyStopping whose best value, best epoch, patience count and best weights start
    from the earlier part of the run instead of from nothing."""

    def __init__(self, *, best: float, best_epoch: int, wait: int, best_weights: list, **options):
        super().__init__(**options)
        self.resumed_state = {"best": best, "best_epoch": best_epoch, "wait": wait,
                              "best_weights": best_weights}

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        for name, value in self.resumed_state.items():
            setattr(self, name, value)
