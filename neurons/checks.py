"""Checks of the arguments the `Run` facade receives, with messages fit to show a user.

Every check returns the value as a plain int or str, or raises ValueError naming what is allowed
("this run has 5 snapshots (0–4)").
"""
from __future__ import annotations

import numpy as np


def shown(value) -> str:
    """A user-supplied value, shortened for an error message."""
    return str(value)[:40]


def is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def index_below(name: str, value, upper: int, where: str) -> int:
    """`value` as an int in [0, upper); `where` completes "this run has …" style messages."""
    if not is_int(value) or not 0 <= value < upper:
        allowed = f"({0}–{upper - 1})" if upper else "(none yet)"
        raise ValueError(f"{name} {shown(value)} does not exist: {where} {allowed}")
    return int(value)


def snapshot(value, count: int) -> int:
    return index_below("snapshot", value, count, f"this run has {count} snapshots")


def neuron(value, layer: str, units: int) -> int:
    return index_below("neuron", value, units, f"layer {layer} has {units} neurons")


def layer(value, names: list[str]) -> str:
    if value not in names:
        raise ValueError(f"unknown layer {shown(value)!r}; this run has: {', '.join(names)}")
    return value


def digit(value, classes: list[int]) -> int:
    if not is_int(value) or value not in classes:
        raise ValueError(f"digit {shown(value)} is not a class of this run; choose "
                         f"{classes[0]}–{classes[-1]}")
    return int(value)


def choice(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {shown(value)!r}")
    return value


def count_up_to(value, upper: int) -> int:
    """A snapshot count for `Run.upto`: 0 to the run's own count."""
    if not is_int(value) or not 0 <= value <= upper:
        raise ValueError(f"a view of this run can hold 0 to {upper} snapshots, not {shown(value)}")
    return int(value)
