"""`python -m trainer import PATH`: the command line of trainer.importer (TensorFlow loads only to run it)."""
from __future__ import annotations

import argparse

from neurons.runformat import run_path, validate_run_id
from trainer import checkpoint_files


def add_parser(commands, common: argparse.ArgumentParser) -> None:
    from trainer.cli import checked, existing_file
    parser = commands.add_parser(
        "import", parents=[common], help="open a Keras model file, or a folder of its checkpoints, as a run",
        description="Make a run (status 'imported') of a Keras MLP trained elsewhere: one model file gives "
                    "one snapshot; a folder or a glob of checkpoint files gives one snapshot per file, in "
                    "the epoch order their names give (model_{epoch:02d}.keras), else in name order. "
                    "Understood layers: Dense, BatchNormalization, Dropout, Flatten, Reshape, Rescaling, "
                    "InputLayer, Activation. Inputs: 28×28 or 784 pixels.")
    parser.add_argument("source", metavar="PATH",
                        help="a .keras / .h5 model file, a folder of them, or a quoted glob like 'ckpt/model_*.keras'")
    parser.add_argument("--run-id", type=checked(validate_run_id), help="default: UTC time + 'imported'")
    parser.add_argument("--probe-file", type=existing_file, metavar="NPZ",
                        help="held-out digits to study the model on: an .npz with images and labels, or "
                             "Keras's mnist.npz (its test split). Default: the MNIST test digits if "
                             "DATA_DIR/datasets/mnist.npz exists, else the offline sample's held-out digits")
    parser.add_argument("--history", type=existing_file, metavar="CSV",
                        help="the training curves, as written by keras.callbacks.CSVLogger")
    parser.add_argument("--input-range", choices=("auto", "0-1", "0-255"), default="auto",
                        help="what the model was fed: pixels / 255 (0-1) or raw pixels (0-255); default "
                             "auto: 0-255 if the model starts with a Rescaling layer, else 0-1")
    parser.add_argument("--architecture", type=existing_file, metavar="MODEL",
                        help="for checkpoints saved with save_weights_only (*.weights.h5): the model they "
                             "belong to, as a .keras file or the .json of model.to_json()")
    parser.set_defaults(command=run_import, parser=parser)


def run_import(args) -> int:
    if args.run_id and run_path(args.data_dir, args.run_id).exists():
        args.parser.error(f"run {args.run_id} already exists in {args.data_dir / 'runs'}; choose another --run-id")
    try:
        checkpoint_files.checkpoints(args.source)  # a wrong path is refused before TensorFlow loads
    except checkpoint_files.CannotImport as error:
        args.parser.error(str(error))
    from trainer import importer  # TensorFlow loads here
    from trainer.cli import fail
    try:
        imported = importer.import_run(args.source, data_dir=args.data_dir, run_id=args.run_id,
                                       probe_file=args.probe_file, history_file=args.history,
                                       input_range=args.input_range, architecture=args.architecture)
    except importer.CannotImport as error:
        args.parser.error(str(error))
    except OSError as error:
        return fail(f"cannot write the run under {args.data_dir}: {error.strerror or error}")
    manifest = imported.writer.manifest
    accuracy = manifest["test"]["accuracy"]
    print(f"run {manifest['run_id']} (imported): {'; '.join(imported.notes)}; accuracy {accuracy:.4f} on "
          f"{manifest['dataset']['probe']} probe digits ({manifest['dataset']['name']}); "
          f"folder {imported.writer.path}")
    return 0
