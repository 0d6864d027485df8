"""Neuron Lens core: the run format and the maths behind every view. numpy only."""
from neurons.runformat import BrokenRun, RunSummary, RunWriter, list_runs, run_path, validate_run_id

__all__ = ["BrokenRun", "RunSummary", "RunWriter", "list_runs", "run_path", "validate_run_id"]
from neurons.run import Run, open_run

__all__ += ["Run", "open_run"]
