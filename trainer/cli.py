"""`python -m trainer train | list | resume`: the command line of the Neuron Lens trainer."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from neurons.runformat import BrokenRun, list_runs, run_path, validate_run_id
from neurons.sweeps import group_by_sweep, state_counts
from trainer import data, import_command, presets, sweep

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.command(args)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("NEURON_LENS_DATA_DIR") or "data"),
                        help="where runs (and downloaded datasets) live; default ./data or "
                             "$NEURON_LENS_DATA_DIR")
    parser = argparse.ArgumentParser(prog="python -m trainer",
                                     description="Train MNIST MLPs and keep a weight snapshot at every epoch.")
    commands = parser.add_subparsers(title="commands", required=True, metavar="{train,list,resume,import,sweep}")
    train = commands.add_parser("train", parents=[common], help="train a model into a new run folder",
                                description="Train a preset (flags override any part of it) and "
                                            "write a run folder under DATA_DIR/runs.")
    add_train_arguments(train)
    train.add_argument("--sweep", type=checked(validate_run_id), metavar="SWEEP_ID",
                       help="record the run as part of this sweep (set by `python -m trainer sweep`)")
    train.set_defaults(command=run_train, parser=train)
    listing = commands.add_parser("list", parents=[common], help="one line per run")
    listing.set_defaults(command=run_list)
    resume = commands.add_parser(
        "resume", parents=[common], help="continue an interrupted run from its last finished epoch",
        description="Continue an interrupted or failed run from its last end-of-epoch snapshot. Restored: "
                    "weights, optimizer state, early stopping's best epoch and patience. Not restored: the "
                    "random state, so batch order and dropout masks differ from an uninterrupted run; "
                    "the interrupted epoch starts again from its first batch.")
    resume.add_argument("run_id", type=checked(validate_run_id), metavar="RUN_ID")
    resume.set_defaults(command=run_resume)
    import_command.add_parser(commands, common)
    sweep.add_parser(commands, common)
    return parser


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=list(presets.PRESETS), default="final",
                        help="model family member to start from (default: final)")
    parser.add_argument("--dataset", choices=data.DATASETS, default=None,
                        help="sample: 5,000 offline digits (default); mnist: the full 70,000, "
                             "downloaded once into DATA_DIR/datasets; auto: mnist if it can be "
                             "downloaded (or is already there), else the sample")
    parser.add_argument("--dataset-file", type=existing_file, metavar="PATH",
                        help="a local mnist.npz (x_train, y_train, x_test, y_test) instead of downloading")
    parser.add_argument("--augment", action="store_true", default=None,
                        help="show every training digit slightly rotated (±10°) and shifted (±2 px), "
                             "differently each epoch (seeded)")
    parser.add_argument("--run-id", type=checked(validate_run_id), help="default: UTC time + preset")
    parser.add_argument("--seed", type=bounded(int, 0, 2**31 - 1), default=0,
                        help="same seed, data and flags give identical snapshots (default 0)")
    parser.add_argument("--epochs", type=bounded(int, 1, presets.MAX_EPOCHS), help="maximum epochs (preset: 100)")
    parser.add_argument("--batch-size", type=bounded(int, 1, 65_536), help="preset: 32")
    parser.add_argument("--snapshots-per-epoch", type=bounded(int, 1, 1_000), default=1, metavar="K",
                        help="K snapshots per epoch: K-1 evenly spaced inside it plus its end (default 1)")
    parser.add_argument("--snapshot-dtype", choices=["float32", "float16"], default="float32",
                        help="float16 halves the run folder: the initialisation is kept in float32 and "
                             "each snapshot as its change since then, rounded to float16 (default float32)")
    parser.add_argument("--no-early-stopping", dest="early_stopping", action="store_false", default=None,
                        help="train all epochs; the best snapshot is then the last")
    parser.add_argument("--units", type=int_list, help="hidden layer widths, e.g. 128,64")
    parser.add_argument("--activation", choices=presets.ACTIVATIONS, help="hidden activation")
    parser.add_argument("--dropout", type=rate_list, help="dropout after each hidden layer, e.g. 0.1,0.05 (0 = none)")
    parser.add_argument("--batchnorm", action=argparse.BooleanOptionalAction, default=None,
                        help="batch normalisation after each hidden layer")
    parser.add_argument("--l1", type=bounded(float, 0.0, 1.0), help="L1 penalty on every kernel (0 = none)")
    parser.add_argument("--lr", type=bounded(float, 1e-7, 10.0), help="Adam learning rate (preset: 1e-3)")


def checked(validate):
    def parse(text):
        try:
            return validate(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    return parse


def bounded(kind, low, high):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n integer' if kind is int else ' number'}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low}..{high}")
        return value
    return parse


def int_list(text: str) -> list[int]:
    parse = bounded(int, 1, presets.MAX_UNITS)
    values = [parse(part) for part in text.split(",")]
    if len(values) > 8:
        raise argparse.ArgumentTypeError("at most 8 hidden layers")
    return values


def rate_list(text: str) -> list[float]:
    parse = bounded(float, 0.0, 0.95)
    return [parse(part) for part in text.split(",")]


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path.resolve()


def train_config(args) -> dict:
    overrides = {key: getattr(args, key) for key in
                 ("units", "activation", "dropout", "batchnorm", "l1", "lr", "epochs", "batch_size",
                  "early_stopping", "augment")}
    config = presets.resolve(args.preset, overrides)
    config.update(seed=args.seed, snapshots_per_epoch=args.snapshots_per_epoch, snapshot_dtype=args.snapshot_dtype,
                  dataset="mnist" if args.dataset_file else (args.dataset or "sample"),
                  dataset_file=str(args.dataset_file) if args.dataset_file else None)
    if args.sweep:
        config["sweep"] = args.sweep
    return config


def run_train(args) -> int:
    if args.dataset_file and args.dataset == "sample":
        args.parser.error("--dataset-file replaces the download of --dataset mnist; it cannot be used "
                          "with --dataset sample")
    if args.run_id and run_path(args.data_dir, args.run_id).exists():
        args.parser.error(f"run {args.run_id} already exists in {args.data_dir / 'runs'}; choose another --run-id")
    try:
        config = train_config(args)
    except ValueError as error:
        args.parser.error(str(error))
    from trainer import data, training  # TensorFlow loads here, after the flags are known to be good
    try:
        outcome = training.train(config, data_dir=args.data_dir, run_id=args.run_id)
    except data.DatasetUnavailable as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot write the run under {args.data_dir}: {error.strerror or error}")
    return report(outcome)


def run_resume(args) -> int:
    from trainer import training
    try:
        outcome = training.resume(args.data_dir, args.run_id)
    except BrokenRun as error:
        return fail(f"run {args.run_id} cannot be read: {error}")
    except (training.CannotResume, training.data.DatasetUnavailable) as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot resume run {args.run_id}: {error.strerror or error}")
    return report(outcome)


def report(outcome) -> int:
    writer = outcome.writer
    if outcome.status == "interrupted":
        kept = writer.snapshot_count if writer else 0
        print(f"interrupted: {kept} snapshots kept" + (f" in {writer.path}" if writer else ""), file=sys.stderr)
        return EXIT_INTERRUPTED
    if outcome.status == "failed":
        where = f" (run {writer.path} marked failed, {writer.snapshot_count} snapshots kept)" if writer else ""
        return fail(f"training stopped: {outcome.error}{where}")
    print(summary_line(writer.manifest, writer.path))
    return 0


def summary_line(manifest: dict, path: Path) -> str:
    best = manifest["snapshots"][manifest["best_snapshot"]]
    accuracy = (manifest.get("test") or {}).get("accuracy")
    return (f"run {manifest['run_id']}: {len(manifest['history'])} epochs on "
            f"{data.described(manifest.get('dataset') or {})}, best epoch {best['epoch']}, "
            f"test accuracy {accuracy:.4f}, folder {path}")


def fail(message: str) -> int:
    print(f"python -m trainer: error: {message}", file=sys.stderr)
    return EXIT_FAILED


def run_list(args) -> int:
    runs = list_runs(args.data_dir)
    if not runs:
        print(f"no runs in {args.data_dir / 'runs'}")
    for sweep_id, members in group_by_sweep(runs):
        if sweep_id:
            print(f"sweep {sweep_id}: {len(members)} runs, {state_counts(members)}")
        for run in members:
            print(("  " if sweep_id else "") + run_line(run))
    return 0


def run_line(run) -> str:
    if run.broken:
        return f"{run.run_id}  broken: {run.broken}"
    accuracy = "-" if run.test_accuracy is None else f"{run.test_accuracy:.4f}"
    return (f"{run.run_id:<40} {run.preset:<10} {run.dataset:<7} {run.status:<11} "
            f"{run.epochs:>4} epochs  test accuracy {accuracy}")
