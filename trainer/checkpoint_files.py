"""Which model files a `python -m trainer import PATH` names, and in which order (no TensorFlow here,
so a wrong path is refused before it loads)."""
from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

MODEL_SUFFIXES = (".keras", ".h5")


class CannotImport(ValueError):
    """The file, its model or its history cannot become a run; str(error) says why."""


@dataclass
class Checkpoint:
    path: Path
    epoch: int
    label: str


def checkpoints(source: str) -> tuple[list[Checkpoint], str]:
    """The model files named by `source` (a file, a folder or a glob) in epoch order, and how
    that order was found."""
    path = Path(source).expanduser()
    if path.is_file():
        return [Checkpoint(path, 1, model_stem(path))], "one file"
    if path.is_dir():
        files = [entry for entry in path.iterdir() if entry.is_file() and entry.name.endswith(MODEL_SUFFIXES)]
    elif glob.has_magic(source):
        files = [Path(entry) for entry in glob.glob(str(path)) if Path(entry).is_file()]
    else:
        raise CannotImport(f"no such file or folder: {source}")
    files = sorted(files, key=natural_key)
    if not files:
        raise CannotImport(f"no model files ({' or '.join(MODEL_SUFFIXES)}) in {source}")
    epochs = epochs_from_names(files)
    if epochs is None:
        return ([Checkpoint(file, position, model_stem(file)) for position, file in enumerate(files, start=1)],
                "file-name order (the names carry no epoch number)")
    ordered = sorted(zip(epochs, files))
    return ([Checkpoint(file, epoch, "init" if epoch == 0 else f"epoch {epoch}") for epoch, file in ordered],
            "epoch numbers in the file names")


def model_stem(path: Path) -> str:
    name = path.name
    for suffix in (".weights.h5", *MODEL_SUFFIXES):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return path.stem


def natural_key(path: Path):
    """Sort key in which model_2 comes before model_10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def epochs_from_names(files: list[Path]) -> list[int] | None:
    """The first number in the names that differs between every file (ModelCheckpoint's
    `{epoch:02d}`, also in `weights.{epoch:02d}-{val_loss:.2f}`), or None."""
    if len(files) < 2:
        return None
    numbers = [re.findall(r"\d+", model_stem(file)) for file in files]
    for position in range(min(len(found) for found in numbers)):
        values = [int(found[position]) for found in numbers]
        if len(set(values)) == len(values):
            return values
    return None
