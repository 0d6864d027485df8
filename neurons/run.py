"""`open_run(path)`: one run folder as a notebook-friendly object; the dashboard uses the same calls.

The `Run` is a thin facade over the pure functions of the other modules. It reads weights lazily
from the memory maps (slices, never every snapshot of a kernel at once) and keeps expensive results
in small LRU caches keyed by snapshot index: a snapshot never changes once the manifest lists it.
Every argument is checked (neurons.checks); a bad one raises ValueError with a message fit to show
a user. A run that is still training grows under its reader: `run.upto(count)` is the run as it
was at `count` snapshots, so that everything one question reads agrees.
"""
from __future__ import annotations

import copy
import functools
import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from neurons import (ablation, attribution, chains, checks, exports, fields, focus, importance, logit_effects, maximize,
                     noise_baseline, outputs, projection, responses, selectivity, space)
from neurons.activations import activate
from neurons.forward import Trace, as_inputs, forward
from neurons.memo import Memo, freeze
from neurons.network import load_blocks, layer_specs, scale_shift
from neurons.pages import release
from neurons.runformat import (MANIFEST, BrokenRun, effective_status, finished_best, open_arrays,
                               opening_snapshot, read_manifest, read_probe, verify_snapshot)

FIELD_KINDS = ("weights", "change", "step")
OUTPUT_KEY = "logits"
MAX_IG_STEPS = 4096
# Bound on the weights read at once when expanding one deeper neuron over many snapshots.
CHUNK_BYTES = 32 * 2 ** 20
# Bounds on the neuron page's arguments (issue 11), so that no call can run for minutes.
MAX_BINS = 500
MAX_PER_BAND = 100
MAX_CORRELATED = 100
MAX_MAXIMIZE_STEPS = 5000
MAX_SEEDS = 32
FOCUS_BASES = ("change", "responds_to")


def _stamp(path: Path):
    try:
        status = os.stat(path / MANIFEST)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino


def open_run(path) -> "Run":
    """Open a run folder; raise BrokenRun (the reason in its message) if it cannot be read."""
    path = Path(path)
    if not path.is_dir():
        raise BrokenRun(f"no run folder at {path}")
    return Run(path)


class Run:
    """A trained (or training) model's snapshots and the analyses of every view; see neurons/README.md."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._stamp = _stamp(self.path)
        self._manifest = read_manifest(self.path)
        self._arrays = open_arrays(self.path, self._manifest)
        self._specs = layer_specs(self._manifest)
        self._probe: tuple[np.ndarray, np.ndarray] | None = None
        self._live: np.ndarray | None = None
        self._inputs: np.ndarray | None = None
        self._blocks = Memo(8)
        self._probe_traces = Memo(4)
        self._layer_fields = Memo(8)
        self._focus_tables = Memo(32)
        self._neuron_fields = Memo(16)
        self._page_results = Memo(64)
        self._space = space.SpaceCaches()
        self._lock = threading.Lock()
        self._frozen = False
        if self._manifest["snapshots"]:
            self._load_probe()

    # ---- the run as a whole ------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self._manifest["run_id"]

    @property
    def manifest(self) -> dict:
        return self._manifest

    @property
    def snapshot_count(self) -> int:
        return len(self._manifest["snapshots"])

    @property
    def has_initialisation(self) -> bool:
        """Whether snapshot 0 is the initialisation (epoch 0, step 0). A run imported from model
        files has none unless an epoch-0 file was given: its RF_0 is then taken as zero, so its
        learned change is the weights themselves (docs/interpretation.md, "Receptive fields")."""
        first = self._manifest["snapshots"][:1]
        return not first or (first[0].get("epoch"), first[0].get("step")) == (0, 0)

    def _learned_change(self, rows: np.ndarray, initial: np.ndarray) -> np.ndarray:
        """Δ_t = RF_t − RF_0, with RF_0 = 0 for a run without an initialisation snapshot."""
        return fields.learned_change(rows, initial if self.has_initialisation else np.zeros_like(initial))

    @property
    def snapshot_labels(self) -> list[str]:
        return [str(snapshot.get("label", snapshot["index"])) for snapshot in self._manifest["snapshots"]]

    @property
    def epoch_snapshots(self) -> list[int]:
        """The snapshots at epoch boundaries (init and each epoch's end), not those inside an epoch."""
        return [index for index, snapshot in enumerate(self._manifest["snapshots"]) if not snapshot.get("step")]

    @property
    def hidden_layers(self) -> list[str]:
        """Names of the hidden dense layers in model order, e.g. ["dense_1", "dense_2"]."""
        return [spec.name for spec in self._specs[:-1]]

    @property
    def output_units(self) -> int:
        return self._specs[-1].units

    @property
    def output_activation(self) -> str:
        return self._specs[-1].activation

    @property
    def classes(self) -> list[int]:
        """The class labels: 0–9, or 0 and 1 for a single sigmoid output."""
        return outputs.classes(self.output_units)

    @property
    def best_snapshot(self) -> int | None:
        """The best snapshot of a finished run (the weights it ended with); None while it trains."""
        return finished_best(self._manifest, self.status)

    @property
    def default_snapshot(self) -> int | None:
        """What `snapshot=None` means everywhere: a finished run's best, a live run's newest."""
        return opening_snapshot(self._manifest, self.status)

    def output_for(self, digit: int) -> outputs.Output:
        """(unit, sign, logit name) that speak for a digit: (4, 1, "z₄"); a single sigmoid output
        reads its logit z for digit 1 and −z for digit 0 (neurons.outputs)."""
        return outputs.output_for(self.output_units, checks.digit(digit, self.classes))

    def class_probabilities(self, logits: np.ndarray) -> np.ndarray:
        """(N, classes) probabilities from logits (N, output_units), one column per digit."""
        return outputs.class_probabilities(logits, self.output_activation)

    @property
    def history(self) -> list[dict]:
        return self._manifest["history"]

    @property
    def status(self) -> str:
        """running | completed | failed | interrupted (a silent 'running' trainer counts as interrupted)."""
        return effective_status(self._manifest)

    @property
    def probe_images(self) -> np.ndarray:
        return self._load_probe()[0]

    @property
    def probe_labels(self) -> np.ndarray:
        return self._load_probe()[1]

    @property
    def live_pixels(self) -> np.ndarray:
        """(28, 28) bool: pixels that vary in the training set; the focus metrics use only these."""
        self._load_probe()
        return self._live

    def units(self, layer: str) -> int:
        return self._specs[self._position(layer, allow_output=True)].units

    def upto(self, count: int) -> "Run":
        """This run as it was when it had `count` snapshots: a frozen view sharing the caches.

        A run that trains grows under its reader; one question asked of one view reads one
        consistent state (labels, tables and fields all of the same length)."""
        count = checks.count_up_to(count, self.snapshot_count)
        view = copy.copy(self)
        manifest = dict(self._manifest, snapshots=self._manifest["snapshots"][:count])
        best = manifest.get("best_snapshot")
        if isinstance(best, int) and best >= count:
            manifest["best_snapshot"] = None
        view._manifest, view._frozen = manifest, True
        return view

    def refresh(self) -> bool:
        """Re-read the manifest if it changed on disk; True if there are new snapshots."""
        if self._frozen:
            raise ValueError("a view made by upto() stays as it was; refresh the run itself")
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return False
        manifest = read_manifest(self.path)
        arrays = open_arrays(self.path, manifest)
        with self._lock:
            old = self._manifest["snapshots"]
            new = manifest["snapshots"]
            rewritten = len(new) < len(old) or any(
                before.get("crc32") != after.get("crc32") for before, after in zip(old, new))
            if rewritten:  # a resumed run truncated and rewrote snapshots
                for memo in (self._blocks, self._probe_traces, self._layer_fields,
                             self._focus_tables, self._neuron_fields, self._page_results):
                    memo.clear()
                self._space.clear()
            self._manifest, self._arrays, self._stamp = manifest, arrays, stamp
        if new and self._probe is None:
            self._load_probe()
        return len(new) > len(old)

    # ---- forward pass ------------------------------------------------------------------------
    def forward(self, x, snapshot: int | None = None) -> np.ndarray:
        """Logits (N, output_units) for images (N, 28, 28) uint8 or (N, 784) floats in [0, 1]."""
        return forward(self._blocks_at(self._snapshot(snapshot)), as_inputs(x)).logits

    def activations(self, x, snapshot: int | None = None) -> dict[str, np.ndarray]:
        """{hidden layer: (N, units) post-activation h (before BN), "logits": (N, output_units)}."""
        trace = forward(self._blocks_at(self._snapshot(snapshot)), as_inputs(x))
        return self._trace_dict(trace.post, trace.logits)

    def probe_activations(self, snapshot: int | None = None) -> dict[str, np.ndarray]:
        """`activations` of the whole probe set, computed once per snapshot and cached."""
        trace = self._probe_trace(self._snapshot(snapshot))
        return self._trace_dict(trace.post, trace.logits)

    # ---- receptive fields and focus ----------------------------------------------------------
    def receptive_field(self, layer: str, neuron: int, snapshot: int | None = None,
                        kind: str = "weights") -> np.ndarray:
        """(28, 28): the weights (expanded for deeper layers), their change since init, or the last step."""
        position = self._position(layer, allow_output=True)
        neuron = self._neuron(position, neuron)
        snapshot = self._snapshot(snapshot)
        kind = self._choice("kind", kind, FIELD_KINDS)
        return fields.as_images(
            _of_kind(lambda at: self._field_row(position, neuron, at), snapshot, kind, self._learned_change))

    def receptive_fields(self, layer: str, neuron: int, kind: str = "weights") -> np.ndarray:
        """(snapshot_count, 28, 28): one neuron's field at every snapshot, for scrubbing."""
        position = self._position(layer, allow_output=True)
        neuron = self._neuron(position, neuron)
        kind = self._choice("kind", kind, FIELD_KINDS)
        rows = self._neuron_rows(position, neuron)
        if kind == "change":
            rows = self._learned_change(rows, rows[:1])
        elif kind == "step":
            rows = fields.step_changes(rows)
        return fields.as_images(rows)

    def layer_fields(self, layer: str, snapshot: int | None = None, kind: str = "weights") -> np.ndarray:
        """(units, 28, 28): every neuron's receptive_field of one layer at one snapshot, in one pass."""
        position = self._position(layer, allow_output=True)
        snapshot = self._snapshot(snapshot)
        kind = self._choice("kind", kind, FIELD_KINDS)
        return fields.as_images(
            _of_kind(lambda at: self._layer_rows(position, at).astype(np.float64), snapshot, kind,
                     self._learned_change))

    def focus_table(self, layer: str, snapshot: int | None = None) -> pd.DataFrame:
        """One row per neuron (index "neuron"): focus, effective_pixels, top20_share, spread, blobs of Δ_t."""
        position = self._position(layer, allow_output=True)
        snapshot = self._snapshot(snapshot)
        return self._focus_tables.get((position, snapshot), lambda: self._compute_focus(position, snapshot))

    def focus_curve(self, layer: str, neuron: int) -> pd.DataFrame:
        """The focus metrics of one neuron at every snapshot (index "snapshot"; NaN at snapshot 0),
        with each snapshot's label in column "label", read with the metrics so they always agree."""
        position = self._position(layer, allow_output=True)
        rows = self._neuron_rows(position, self._neuron(position, neuron))
        table = focus.focus_frame(self._learned_change(rows, rows[:1]), self.live_pixels)
        table.index.name = "snapshot"
        table.insert(0, "label", self.snapshot_labels)
        return table

    # ---- chains and attribution --------------------------------------------------------------
    def digit_chain(self, digit: int, snapshot: int | None = None, mode: str = "weights",
                    example=None) -> dict[str, np.ndarray]:
        """{hidden layer: c_l per neuron, "pixels": c_0 (28, 28)} for a digit's logit (`logit_name`).

        mode "weights" folds in the BN scales, "raw" drops them (the blog's W1 W2 W3[:, d]).
        `example` (a probe index or one image) gates the chain by that example, so that "pixels"
        is the gradient of the digit's logit; only mode "weights" has this form.
        """
        output = self.output_for(digit)
        mode = self._choice("mode", mode, chains.MODES)
        blocks = self._blocks_at(self._snapshot(snapshot))
        gates = None
        if example is not None:
            if mode != "weights":
                raise ValueError('a chain for one example uses mode "weights" (the raw chain has '
                                 "no example form)")
            gates = [gate[0] for gate in chains.gates(blocks, forward(blocks, self._example(example)))]
        per_layer, pixels = chains.chain(blocks, output.unit, use_scale=mode == "weights", layer_gates=gates)
        result = {layer: output.sign * values for layer, values in zip(self.hidden_layers, per_layer)}
        result["pixels"] = fields.as_images(output.sign * pixels)
        return result

    def gradient_x_input(self, x, digit: int, snapshot: int | None = None) -> np.ndarray:
        """(28, 28) gradient × input of the digit's logit for one image (or probe index) x."""
        output = self.output_for(digit)
        blocks = self._blocks_at(self._snapshot(snapshot))
        attributed = attribution.gradient_x_input(blocks, self._example(x), output.unit)[0]
        return fields.as_images(output.sign * attributed)

    def integrated_gradients(self, x, digit: int, snapshot: int | None = None,
                             steps: int = attribution.DEFAULT_STEPS) -> np.ndarray:
        """(28, 28) integrated gradients of the digit's logit for one image x, black baseline."""
        output = self.output_for(digit)
        if not checks.is_int(steps) or not 1 <= steps <= MAX_IG_STEPS:
            raise ValueError(f"steps must be a whole number from 1 to {MAX_IG_STEPS}, got {checks.shown(steps)}")
        blocks = self._blocks_at(self._snapshot(snapshot))
        attributed = attribution.integrated_gradients(blocks, self._example(x)[0], output.unit, steps)
        return fields.as_images(output.sign * attributed)

    # ---- selectivity and ablation ------------------------------------------------------------
    def selectivity(self, layer: str, snapshot: int | None = None) -> pd.DataFrame:
        """One row per neuron over the probe set: mean_<class>…, si, best_digit, d_prime (for best_digit),
        active_share (ReLU layers only; NaN for activations that are never exactly zero)."""
        activations = self._probe_activations(layer, snapshot)
        table = selectivity.selectivity_table(activations, self.probe_labels, self.classes)
        if self._specs[self._position(layer)].activation not in selectivity.GATING_ACTIVATIONS:
            table["active_share"] = np.nan  # a sigmoid or tanh neuron is never exactly silent
        table.index.name = "neuron"
        return table

    def most_differentiated(self, digit: int, layer: str, snapshot: int | None = None) -> int:
        """The neuron of `layer` with the largest d′ for class `digit` over the probe set."""
        digit = self._class(digit)
        return selectivity.most_differentiated(self._probe_activations(layer, snapshot),
                                               self.probe_labels, digit)

    def generalized_digit(self, digit: int, snapshot: int | None = None) -> dict[str, np.ndarray]:
        """{hidden layer: mean activation over probe examples of `digit`, "logits": mean logits}."""
        digit = self._class(digit)
        trace = self._probe_trace(self._snapshot(snapshot))
        mean_of = functools.partial(selectivity.generalized_digit, labels=self.probe_labels, digit=digit)
        return self._trace_dict([mean_of(post) for post in trace.post], mean_of(trace.logits))

    def ablate(self, layer: str, neurons, snapshot: int | None = None, mode: str = "mean") -> dict:
        """Probe-set accuracy before → after replacing `neurons` by their mean (or zero).

        Returns {"layer", "neurons", "mode", "snapshot", "overall": {"before", "after"},
        "per_class": DataFrame(index class; count, before, after)}.
        """
        position = self._position(layer)
        neurons = [self._neuron(position, neuron) for neuron in np.atleast_1d(neurons).tolist()]
        if not neurons:
            raise ValueError("choose at least one neuron to ablate")
        mode = self._choice("mode", mode, ablation.MODES)
        snapshot = self._snapshot(snapshot)
        result = ablation.ablate(self._blocks_at(snapshot), self._probe_inputs(), self.probe_labels,
                                 self.classes, position, neurons, mode, self._probe_trace(snapshot))
        return {"layer": layer, "neurons": neurons, "mode": mode, "snapshot": snapshot, **result}

    # ---- the neuron page: what a neuron responds to and does (issue 11) ----------------------
    # Definitions: docs/interpretation.md, "What a neuron responds to" to "Noise baselines".
    def responds_to(self, layer: str, neuron: int, snapshot: int | None = None) -> np.ndarray:
        """(28, 28): the activation-weighted mean of the probe digits minus their plain mean."""
        activations = self._neuron_activations(layer, neuron, snapshot)
        return fields.as_images(responses.responds_to(self._probe_inputs(), activations))

    def responds_to_frames(self, layer: str, neuron: int) -> np.ndarray:
        """(snapshot_count, 28, 28): `responds_to` at every snapshot, for scrubbing."""
        position = self._position(layer)
        neuron = self._neuron(position, neuron)
        if not self.snapshot_count:
            raise ValueError("this run has no snapshots yet")
        return fields.as_images(responses.responds_to(self._probe_inputs(), self._activations_over_snapshots(position, neuron)))

    def layer_responds_to(self, layer: str, snapshot: int | None = None) -> np.ndarray:
        """(units, 28, 28): `responds_to` of every neuron of a layer at one snapshot."""
        activations = self._probe_activations(layer, snapshot)
        return fields.as_images(responses.responds_to(self._probe_inputs(), activations))

    def activation_histogram(self, layer: str, neuron: int, snapshot: int | None = None,
                             bins: int = responses.DEFAULT_BINS) -> pd.DataFrame:
        """One row per bin: `left`, `right` edges and the count of each class (columns `run.classes`);
        `attrs["silent_share"]`: the share of probe digits with h = 0."""
        bins = _whole_number("bins", bins, 1, MAX_BINS)
        activations = self._neuron_activations(layer, neuron, snapshot)
        table = responses.activation_histogram(activations, self.probe_labels, self.classes, bins)
        table.attrs["silent_share"] = responses.silent_share(activations)
        return table

    def exemplars(self, layer: str, neuron: int, snapshot: int | None = None,
                  bands=responses.DEFAULT_BANDS, per_band: int = responses.DEFAULT_PER_BAND) -> pd.DataFrame:
        """Probe digits per activation-quantile band: rows band_low, band_high, rank, example, label,
        activation; `per_band` per band at evenly spaced ranks, highest first."""
        per_band = _whole_number("per_band", per_band, 1, MAX_PER_BAND)
        return responses.exemplars(self._neuron_activations(layer, neuron, snapshot), self.probe_labels,
                                   tuple(tuple(band) for band in bands), per_band)

    def logit_effects(self, layer: str, neuron: int, snapshot: int | None = None) -> pd.DataFrame:
        """One row per digit (index "digit"): weight (logit per unit of h), weights_path and measured
        (the logit change when the neuron fires, by the weights with gates open, and by mean-ablation
        over its top 10% of probe digits); column "logit" names the logit each digit reads."""
        position = self._position(layer)
        neuron = self._neuron(position, neuron)
        snapshot = self._snapshot(snapshot)
        effects = logit_effects.logit_effects(self._blocks_at(snapshot), self._probe_trace(snapshot), position, neuron)
        rows = [self.output_for(digit) for digit in self.classes]
        table = pd.DataFrame([effects.loc[row.unit] * row.sign for row in rows],
                             index=pd.Index(self.classes, name="digit"))
        table["logit"] = [row.logit for row in rows]
        return table

    def correlated_neurons(self, layer: str, neuron: int, snapshot: int | None = None,
                           k: int = responses.DEFAULT_CORRELATED) -> pd.DataFrame:
        """Rows layer, neuron, r: the k neurons with the largest |Pearson r| in this and each adjacent
        hidden layer, over the probe set."""
        position = self._position(layer)
        neuron = self._neuron(position, neuron)
        k = _whole_number("k", k, 1, MAX_CORRELATED)
        trace = self._probe_trace(self._snapshot(snapshot))
        nearby = {self.hidden_layers[at]: trace.post[at]
                  for at in range(max(position - 1, 0), min(position + 2, len(self.hidden_layers)))}
        return responses.most_correlated(trace.post[position][:, neuron], nearby, k, exclude=(layer, neuron))

    def maximize(self, layer: str, neuron: int, snapshot: int | None = None,
                 steps: int = maximize.DEFAULT_STEPS, seeds: int = maximize.DEFAULT_SEEDS) -> dict:
        """Activation maximisation from `seeds` noise images: {"images": (seeds, 28, 28) in [0, 1],
        "activations": h reached by each, "best_example": the probe digit with the highest h,
        "best_activation": its h, "snapshot"}."""
        position = self._position(layer)
        neuron = self._neuron(position, neuron)
        steps = _whole_number("steps", steps, 1, MAX_MAXIMIZE_STEPS)
        seeds = _whole_number("seeds", seeds, 1, MAX_SEEDS)
        snapshot = self._snapshot(snapshot)
        blocks = self._blocks_at(snapshot)
        pre = forward(maximize.blocks_up_to(blocks, position), self._probe_inputs()).logits[:, neuron]
        spread = float(pre.std()) or 1.0
        result = maximize.maximize(blocks, position, neuron, self.live_pixels, spread, steps, seeds)
        probe = self._probe_trace(snapshot).post[position][:, neuron]
        best = int(np.argmax(probe))
        return {"images": fields.as_images(result["images"]), "activations": result["activations"],
                "best_example": best, "best_activation": float(probe[best]), "snapshot": snapshot}

    def importance(self, layer: str, snapshot: int | None = None, mode: str = "mean") -> pd.DataFrame:
        """One row per neuron (index "neuron"): importance, the probe accuracy drop when it alone
        is ablated (mean- or zero-ablation)."""
        position = self._position(layer)
        mode = self._choice("mode", mode, ablation.MODES)
        snapshot = self._snapshot(snapshot)

        def compute():
            drops = self._layer_ablation(position, snapshot, mode).importance()
            return pd.DataFrame({"importance": drops}, index=pd.RangeIndex(len(drops), name="neuron"))
        return self._page_results.get(("importance", position, snapshot, mode), compute)

    def ablation_curve(self, layer: str, order: str = "importance", snapshot: int | None = None,
                       mode: str = "mean") -> pd.DataFrame:
        """Probe accuracy as the layer's neurons are ablated cumulatively in `order` (importance,
        selectivity or random): rows m = 0 … units (index "ablated"), columns neuron, accuracy."""
        order = self._choice("order", order, importance.ORDERS)
        position = self._position(layer)
        mode = self._choice("mode", mode, ablation.MODES)
        snapshot = self._snapshot(snapshot)
        sequence = importance.ablation_order(
            order, importance=self.importance(layer, snapshot, mode)["importance"].to_numpy()
            if order == "importance" else None,
            selectivity_index=self.selectivity(layer, snapshot)["si"].to_numpy() if order == "selectivity" else None,
            units=self._specs[position].units)
        return importance.curve_frame(sequence, self._layer_ablation(position, snapshot, mode).curve(sequence))

    def focus_above_noise(self, layer: str, snapshot: int | None = None, basis: str = "change") -> pd.DataFrame:
        """One row per neuron: the five focus metrics of its learned change (basis "change") or of
        its responds-to picture ("responds_to"), each with `<metric>_noise_mean`, `_noise_sd`, `_z`."""
        position = self._position(layer)
        basis = self._choice("basis", basis, FOCUS_BASES)
        snapshot = self._snapshot(snapshot)

        def compute():
            if basis == "change":
                pictures = self._learned_change(self._layer_rows(position, snapshot).astype(np.float64),
                                                self._layer_rows(position, 0))
                gaussian = self._page_results.get("gaussian baseline",
                                                  lambda: noise_baseline.gaussian_baseline(self.live_pixels))
                baselines = noise_baseline.change_baselines(pictures, self.live_pixels, gaussian)
            else:
                pictures = self.layer_responds_to(layer, snapshot)
                baselines = noise_baseline.responds_baselines(self._probe_inputs(), self._probe_activations(layer, snapshot),
                                                              self.live_pixels)
            table = noise_baseline.above_noise(pictures, self.live_pixels, baselines)
            table.index.name = "neuron"
            return table
        return self._page_results.get(("noise", position, snapshot, basis), compute)

    def _neuron_activations(self, layer: str, neuron: int, snapshot: int | None) -> np.ndarray:
        position = self._position(layer)
        return self._probe_activations(layer, snapshot)[:, self._neuron(position, neuron)]

    def _activations_over_snapshots(self, position: int, neuron: int) -> np.ndarray:
        """(N, snapshot_count): one neuron's activations over the probe set at every snapshot."""
        inputs = self._probe_inputs()
        if position == 0:
            count = self.snapshot_count
            spec = self._specs[0]
            bias = np.asarray(self._arrays[f"{spec.name}.bias"][:count, neuron], np.float32)
            rows = self._neuron_rows(0, neuron).astype(np.float32)
            return activate(spec.activation, inputs @ rows.T + bias)
        return np.stack([self._probe_trace(at).post[position][:, neuron]
                         for at in range(self.snapshot_count)], axis=1)

    def _layer_ablation(self, position: int, snapshot: int, mode: str) -> importance.LayerAblation:
        return importance.LayerAblation(self._blocks_at(snapshot), self._probe_trace(snapshot),
                                        self.probe_labels, position, mode)

    # ---- taking results away (issue 16: neurons.exports) --------------------------------------
    def animation(self, layer: str, neuron: int, path, kind: str = "change") -> int:
        """Write one neuron's field at every snapshot as a looping GIF to `path` (or a binary file):
        a frame per snapshot, named by its label, colour limits fixed over all frames, never-inked
        pixels grey. Returns the number of frames."""
        frames = self.receptive_fields(layer, neuron, kind=kind)
        what = {"weights": "weights", "step": "change since the snapshot before",
                "change": "learned change" if self.has_initialisation else "weights (no init snapshot)"}[kind]
        return exports.write_animation(frames, self.snapshot_labels, path, live=self.live_pixels,
                                       title=f"{layer} · neuron {neuron} · {what}")

    def save_fields(self, layer: str, neuron: int, path) -> None:
        """Write one neuron's fields at every snapshot — weights, learned change, step change, each
        (snapshots, 28, 28) — with the snapshot labels and live-pixel mask, as an .npz."""
        exports.write_fields(path, **{kind: self.receptive_fields(layer, neuron, kind=kind) for kind in FIELD_KINDS},
                             labels=self.snapshot_labels, live=self.live_pixels, layer=layer, neuron=neuron,
                             run_id=self.run_id)

    # ---- how a layer sees the digits (the Space tab, issue 12; neurons/space.py) -------------
    def projection(self, layer: str, snapshot: int | None = None, method: str = "pca", seed: int = 0,
                   start: pd.DataFrame | None = None) -> pd.DataFrame:
        """One row per probe digit (index "example"): x, y, label, predicted — the layer's map.

        "pca": the snapshot's own two principal axes, turned by orthogonal Procrustes onto the map at
        `default_snapshot`, so the picture does not flip while scrubbing. "tsne": t-SNE (perplexity
        30, `seed`) started from `start` (a t-SNE projection of this layer at another snapshot), by
        default from the nearest snapshot this Run has mapped with t-SNE, else from the PCA map.
        `frame.attrs`: method, snapshot, reference, variance_share, start (snapshot or None).
        """
        layer = checks.layer(layer, self.hidden_layers)
        method = checks.choice("method", method, projection.METHODS)
        if not checks.is_int(seed):
            raise ValueError(f"seed must be a whole number, got {checks.shown(seed)}")
        return space.projection(self, self._space, layer, self._snapshot(snapshot), method, int(seed), start)

    def linear_probe(self, layer: str, snapshot: int | None = None) -> float:
        """5-fold cross-validated accuracy of StandardScaler + LogisticRegression reading the class from
        the layer's activations over the probe set; layer "pixels" is the pixel baseline."""
        layer = checks.layer(layer, [space.PIXELS, *self.hidden_layers])
        return space.linear_probe(self, self._space, layer, None if layer == space.PIXELS else self._snapshot(snapshot))

    def probe_curve(self, layer: str) -> pd.DataFrame:
        """One row per snapshot: accuracy, and the baselines pixels and init (the layer at snapshot 0)."""
        return space.probe_curve(self, self._space, checks.layer(layer, self.hidden_layers))

    def confusion(self, snapshot: int | None = None) -> pd.DataFrame:
        """Probe-set counts: rows the true class ("true"), columns the predicted class ("predicted")."""
        return space.confusion(self, self._snapshot(snapshot))

    def cka(self, layer_a: str, layer_b: str, snapshot_a: int | None = None, snapshot_b: int | None = None) -> float:
        """Linear CKA (unbiased) of two layers ("pixels", a hidden layer or "logits") at two snapshots,
        over `len(cka.digit_subset(N))` probe digits (at most 1,000)."""
        names = space.representations(self)
        first = (checks.layer(layer_a, names), self._snapshot(snapshot_a))
        return space.cka_pair(self, first, (checks.layer(layer_b, names), self._snapshot(snapshot_b)))

    def cka_matrix(self, layer: str | None = None, snapshot: int | None = None) -> pd.DataFrame:
        """With a layer: its CKA between every pair of snapshots. Without: CKA between pixels, every
        hidden layer and the logits at `snapshot`. `frame.attrs["digits"]`: the probe digits used."""
        if layer is not None:
            if snapshot is not None:
                raise ValueError("give a layer (snapshot × snapshot) or a snapshot (layer × layer), not both")
            return space.cka_over_snapshots(self, checks.layer(layer, self.hidden_layers))
        return space.cka_over_layers(self, self._snapshot(snapshot))

    def layer_health(self, layer: str) -> pd.DataFrame:
        """One row per snapshot: dead_share (ReLU), saturated_share (sigmoid, tanh), q05 … q95 of the
        activations, weight_norm ‖W_t‖ and update_ratio ‖W_t − W_{t−1}‖ / ‖W_{t−1}‖."""
        position = self._position(layer)
        return space.layer_health(self, self._space, layer, self._specs[position].activation,
                                  lambda at: self._blocks_at(at)[position].kernel)

    def activation_distribution(self, layer: str) -> tuple[np.ndarray, pd.DataFrame]:
        """(40 bins' edges over the activations at `default_snapshot`, share of activations per bin:
        one row per snapshot); values beyond the edges count in the end bins."""
        return space.activation_distribution(self, self._space, checks.layer(layer, self.hidden_layers))
    # ---- end of the Space tab's section ------------------------------------------------------

    # ---- reading and caching -----------------------------------------------------------------
    def _load_probe(self):
        if self._probe is None:
            self._probe, self._live = read_probe(self.path)
        return self._probe

    def _probe_inputs(self) -> np.ndarray:
        if self._inputs is None:
            self._inputs = as_inputs(self.probe_images)
        return self._inputs

    def _probe_trace(self, snapshot: int):
        def compute():
            trace = forward(self._blocks_at(snapshot), self._probe_inputs())
            # Kept without the pre-activations: nothing asks for them, and they would double the size.
            return Trace([], [freeze(post) for post in trace.post], freeze(trace.logits))
        return self._probe_traces.get(snapshot, compute)

    def _probe_activations(self, layer: str, snapshot: int | None) -> np.ndarray:
        position = self._position(layer)
        return self._probe_trace(self._snapshot(snapshot)).post[position]

    def _blocks_at(self, snapshot: int):
        def load():
            verify_snapshot(self._arrays, self._manifest, snapshot)
            blocks = load_blocks(self._specs, self._arrays, snapshot)
            release(list(self._arrays.values()))
            return blocks
        return self._blocks.get(snapshot, load)

    def _kernels(self, position: int) -> list[np.ndarray]:
        """The kernels an expanded field of a layer at `position` reads."""
        return [self._arrays[f"{spec.name}.kernel"] for spec in self._specs[:position + 1]]

    def _lower_layers(self, position: int, snapshot) -> list:
        """(kernel, BN scale) of the layers below `position`, nearest first, as float32.

        `snapshot` is an index, or a slice of snapshots (then every array has a leading T axis).
        """
        return [(self._arrays[f"{spec.name}.kernel"][snapshot],
                 scale_shift(spec, self._arrays, snapshot)[0].astype(np.float32))
                for spec in reversed(self._specs[:position])]

    def _field_row(self, position: int, neuron: int, snapshot: int) -> np.ndarray:
        """One neuron's (expanded) weights at one snapshot, 784 values."""
        row = self._arrays[f"{self._specs[position].name}.kernel"][snapshot, neuron]
        return np.asarray(fields.expand(row, self._lower_layers(position, snapshot)), np.float64)

    def _neuron_rows(self, position: int, neuron: int) -> np.ndarray:
        """(snapshot_count, 784): one neuron's (expanded) weights at every snapshot."""
        count = self.snapshot_count
        if not count:
            raise ValueError("this run has no snapshots yet")
        kernel = self._arrays[f"{self._specs[position].name}.kernel"]

        def compute():
            if position == 0:
                return freeze(np.asarray(kernel[:count, neuron], np.float64))
            slot_bytes = max(kernel[0].nbytes for kernel in self._kernels(position))
            chunk = max(1, CHUNK_BYTES // slot_bytes)
            windows = [slice(start, min(start + chunk, count)) for start in range(0, count, chunk)]
            rows = np.concatenate([
                fields.expand_over_snapshots(kernel[window, neuron], self._lower_layers(position, window))
                for window in windows])
            release(self._kernels(position))
            return freeze(rows.astype(np.float64))
        return self._neuron_fields.get((position, neuron, count), compute)

    def _layer_rows(self, position: int, snapshot: int) -> np.ndarray:
        """(units, 784): every neuron's (expanded) weights of one layer at one snapshot."""
        def compute():
            kernel = self._arrays[f"{self._specs[position].name}.kernel"][snapshot]
            rows = np.array(fields.expand(kernel, self._lower_layers(position, snapshot)), np.float32)
            release(self._kernels(position))
            return freeze(rows)
        return self._layer_fields.get((position, snapshot), compute)

    def _compute_focus(self, position: int, snapshot: int) -> pd.DataFrame:
        change = self._learned_change(self._layer_rows(position, snapshot).astype(np.float64),
                                      self._layer_rows(position, 0))
        table = focus.focus_frame(change, self.live_pixels)
        table.index.name = "neuron"
        return table

    def _trace_dict(self, per_layer, logits) -> dict[str, np.ndarray]:
        result = dict(zip(self.hidden_layers, per_layer))
        result[OUTPUT_KEY] = logits
        return result

    def _example(self, example) -> np.ndarray:
        """One model input (1, 784) from a probe index or an image."""
        if checks.is_int(example):
            if not 0 <= example < len(self.probe_labels):
                raise ValueError(f"example {example} does not exist: the probe set has "
                                 f"{len(self.probe_labels)} digits (0–{len(self.probe_labels) - 1})")
            return as_inputs(self.probe_images[example])
        inputs = as_inputs(example)
        if len(inputs) != 1:
            raise ValueError(f"give one example image, not {len(inputs)}")
        return inputs

    # ---- argument checks (neurons.checks) ----------------------------------------------------
    def _snapshot(self, snapshot) -> int:
        if snapshot is None:
            snapshot = self.default_snapshot
            if snapshot is None:
                raise ValueError("this run has no snapshots yet")
            return snapshot
        return checks.snapshot(snapshot, self.snapshot_count)

    def _position(self, layer, allow_output: bool = False) -> int:
        names = [spec.name for spec in self._specs] if allow_output else self.hidden_layers
        return names.index(checks.layer(layer, names))

    def _neuron(self, position: int, neuron) -> int:
        spec = self._specs[position]
        return checks.neuron(neuron, spec.name, spec.units)

    def _class(self, digit) -> int:
        return checks.digit(digit, self.classes)

    @staticmethod
    def _choice(name: str, value, allowed) -> str:
        return checks.choice(name, value, allowed)


def _of_kind(rows_at, snapshot: int, kind: str, learned_change) -> np.ndarray:
    """The fields `rows_at(snapshot)` as weights, `learned_change` since snapshot 0, or step from the one before."""
    current = rows_at(snapshot)
    if kind == "change":
        return learned_change(current, rows_at(0))
    if kind == "step":
        return current - rows_at(max(snapshot - 1, 0))
    return current


def _whole_number(name: str, value, low: int, high: int) -> int:
    if not checks.is_int(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {checks.shown(value)}")
    return int(value)
