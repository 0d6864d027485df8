"""How a layer sees the digits, over training: the Space tab's questions of a run, cached.

Definitions: docs/interpretation.md, "How a layer sees the digits". The maths is in `projection`,
`probes`, `confusion`, `cka` and `health`; this module reads a run through its public calls
(probe activations per snapshot, probe digits) and keeps the results in one `SpaceCaches` per run,
shared by its `upto` views. A snapshot never changes once written, so results keyed by snapshot
stay right as a run grows; the run clears them when a resumed run rewrites its snapshots.
`Run.projection`, `linear_probe`, `probe_curve`, `confusion`, `cka`, `cka_matrix`, `layer_health`
and `activation_distribution` are the notebook API over these functions.
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np
import pandas as pd

from neurons import cka, confusion as confusion_counts, health, probes, projection as maps
from neurons.forward import as_inputs, predicted_classes
from neurons.memo import Memo

PIXELS = "pixels"
LOGITS = "logits"


class SpaceCaches:
    """Results per snapshot: principal maps, t-SNE maps, probe scores, health rows."""

    def __init__(self):
        self.principal = Memo(64)
        self.probe_scores = Memo(8192)
        self.health_rows = Memo(2048)
        self.histograms = Memo(2048)
        self._tsne: dict[tuple, dict[int, np.ndarray]] = {}
        self._lock = threading.Lock()

    def tsne_maps(self, layer: str, seed: int) -> dict[int, np.ndarray]:
        with self._lock:
            return dict(self._tsne.get((layer, seed), {}))

    def keep_tsne(self, layer: str, seed: int, snapshot: int, coordinates: np.ndarray) -> None:
        with self._lock:
            self._tsne.setdefault((layer, seed), {})[snapshot] = coordinates

    def clear(self) -> None:
        for memo in (self.principal, self.probe_scores, self.health_rows, self.histograms):
            memo.clear()
        with self._lock:
            self._tsne.clear()


def _layer_activations(run, layer: str, snapshot: int) -> np.ndarray:
    return run.probe_activations(snapshot)[layer]


def _principal(run, caches: SpaceCaches, layer: str, snapshot: int):
    return caches.principal.get((layer, snapshot),
                                lambda: maps.principal_map(_layer_activations(run, layer, snapshot)))


def pca_coordinates(run, caches: SpaceCaches, layer: str, snapshot: int) -> tuple[np.ndarray, float]:
    """The PCA map at `snapshot` aligned to the one at the run's default snapshot, and its variance share."""
    coordinates, share = _principal(run, caches, layer, snapshot)
    reference = run.default_snapshot
    if snapshot != reference:
        coordinates = maps.aligned(coordinates, _principal(run, caches, layer, reference)[0])
    return coordinates, share


def projection(run, caches: SpaceCaches, layer: str, snapshot: int, method: str, seed: int,
               start: pd.DataFrame | None) -> pd.DataFrame:
    """The map as a frame (see projection.projection_frame); `frame.attrs` says how it was made:
    method, snapshot, reference, variance_share (of the PCA map at this snapshot), and for t-SNE
    start: the snapshot whose t-SNE map it started from, or None (the PCA map)."""
    coordinates, share = pca_coordinates(run, caches, layer, snapshot)
    attrs = {"method": method, "snapshot": snapshot, "reference": run.default_snapshot,
             "variance_share": share, "start": None}
    if method == "tsne":
        if start is None:
            computed = caches.tsne_maps(layer, seed)
            neighbour = maps.nearest_computed(snapshot, computed)
            begin = coordinates if neighbour is None else computed[neighbour]
        else:
            neighbour, begin = _start_of(start, snapshot, len(coordinates))
        coordinates = maps.tsne_map(_layer_activations(run, layer, snapshot), begin, seed)
        caches.keep_tsne(layer, seed, snapshot, coordinates)
        attrs["start"] = neighbour
    logits = run.probe_activations(snapshot)[LOGITS]
    frame = maps.projection_frame(coordinates, run.probe_labels, predicted_classes(logits))
    frame.attrs.update(attrs)
    return frame


def _start_of(start: pd.DataFrame, snapshot: int, count: int) -> tuple[int | None, np.ndarray]:
    """(its snapshot, coordinates) of a given starting map, checked."""
    if not isinstance(start, pd.DataFrame) or not {"x", "y"} <= set(start.columns) or len(start) != count:
        raise ValueError(f"start must be a projection of the same {count} probe digits (a frame with x and y)")
    return start.attrs.get("snapshot"), start[["x", "y"]].to_numpy(np.float64)


def linear_probe(run, caches: SpaceCaches, layer: str, snapshot: int) -> float:
    """The probe accuracy of a hidden layer at a snapshot, or of the pixels (PIXELS; no snapshot)."""
    if layer == PIXELS:
        return caches.probe_scores.get(
            (PIXELS,), lambda: probes.probe_accuracy(probes.pixel_features(run.probe_images), run.probe_labels))
    return caches.probe_scores.get(
        (layer, snapshot), lambda: probes.probe_accuracy(_layer_activations(run, layer, snapshot), run.probe_labels))


def probe_curve(run, caches: SpaceCaches, layer: str) -> pd.DataFrame:
    """The probe accuracy at every snapshot with the pixel and init baselines (probes.curve_frame)."""
    accuracies = [linear_probe(run, caches, layer, snapshot) for snapshot in range(run.snapshot_count)]
    return probes.curve_frame(accuracies, linear_probe(run, caches, PIXELS, None))


def confusion(run, snapshot: int) -> pd.DataFrame:
    """Probe-set counts, rows true class, columns predicted class."""
    predicted = predicted_classes(run.probe_activations(snapshot)[LOGITS])
    return confusion_counts.confusion_matrix(run.probe_labels, predicted, run.classes)


def representations(run) -> list[str]:
    """What CKA can compare: the input pixels, every hidden layer, the logits."""
    return [PIXELS, *run.hidden_layers, LOGITS]


def representation(run, name: str, snapshot: int, digits: np.ndarray) -> np.ndarray:
    """One representation of the CKA digits at a snapshot."""
    if name == PIXELS:
        return as_inputs(run.probe_images[digits])
    return run.probe_activations(snapshot)[name][digits]


def cka_digits(run) -> np.ndarray:
    return cka.digit_subset(len(run.probe_labels))


def cka_pair(run, first: tuple[str, int], second: tuple[str, int]) -> float:
    """CKA of (representation, snapshot) against (representation, snapshot), float64."""
    digits = cka_digits(run)
    return cka.linear_cka(representation(run, *first, digits), representation(run, *second, digits))


def _cka_frame(values: np.ndarray, labels: list, name: str, digits: int) -> pd.DataFrame:
    frame = pd.DataFrame(values, index=pd.Index(labels, name=name), columns=pd.Index(labels, name=name))
    frame.attrs["digits"] = digits
    return frame


def cka_over_snapshots(run, layer: str) -> pd.DataFrame:
    """snapshot × snapshot CKA of one layer; `attrs["digits"]` is the number of probe digits used."""
    digits = cka_digits(run)
    values = cka.cka_matrix(representation(run, layer, snapshot, digits) for snapshot in range(run.snapshot_count))
    return _cka_frame(values, list(range(run.snapshot_count)), "snapshot", len(digits))


def cka_over_layers(run, snapshot: int) -> pd.DataFrame:
    """layer × layer CKA at one snapshot: pixels, every hidden layer, logits."""
    digits = cka_digits(run)
    names = representations(run)
    values = cka.cka_matrix(representation(run, name, snapshot, digits) for name in names)
    return _cka_frame(values, names, "representation", len(digits))


def _health_row(run, caches: SpaceCaches, layer: str, snapshot: int, activation: str, kernel_at: Callable) -> dict:
    def compute():
        previous = kernel_at(snapshot - 1) if snapshot else None
        return (health.activation_row(_layer_activations(run, layer, snapshot), activation)
                | health.weight_row(kernel_at(snapshot), previous))
    return caches.health_rows.get((layer, snapshot), compute)


def layer_health(run, caches: SpaceCaches, layer: str, activation: str, kernel_at: Callable) -> pd.DataFrame:
    """health.health_frame of the layer over every snapshot; `attrs["activation"]` names its activation."""
    frame = health.health_frame([_health_row(run, caches, layer, snapshot, activation, kernel_at)
                                 for snapshot in range(run.snapshot_count)])
    frame.attrs["activation"] = activation
    return frame


def activation_distribution(run, caches: SpaceCaches, layer: str) -> tuple[np.ndarray, pd.DataFrame]:
    """(bin edges over the activations at the default snapshot, shares: one row per snapshot, one
    column per bin). The edges move with a live run's newest snapshot, so they key the cache."""
    reference = run.default_snapshot
    edges = health.histogram_edges(_layer_activations(run, layer, reference))
    shares = [caches.histograms.get((layer, snapshot, reference), lambda: health.histogram_shares(
        _layer_activations(run, layer, snapshot), edges)) for snapshot in range(run.snapshot_count)]
    frame = pd.DataFrame(np.array(shares).reshape(len(shares), health.HISTOGRAM_BINS))
    frame.index.name = "snapshot"
    return edges, frame
