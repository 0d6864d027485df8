"""`--augment`: every training digit is shown slightly moved and turned, differently each epoch.

A digit is rotated by an angle drawn uniformly from ±MAX_DEGREES about the image centre and
shifted by up to ±MAX_SHIFT pixels in each direction (bilinear resampling, black outside). The
draws come from a generator seeded by (run seed, epoch, batch), so the same seed and flags give
the same batches, and each epoch sees new variants. The test, validation and probe digits are
never augmented.
"""
from __future__ import annotations

import math

import keras
import numpy as np
from scipy import ndimage

MAX_DEGREES = 10.0
MAX_SHIFT = 2.0
CENTRE = np.array([13.5, 13.5])


def moved(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 (N, 28, 28) digits, each rotated and shifted by its own random draw."""
    result = np.empty_like(images)
    angles = np.deg2rad(rng.uniform(-MAX_DEGREES, MAX_DEGREES, len(images)))
    shifts = rng.uniform(-MAX_SHIFT, MAX_SHIFT, (len(images), 2))
    for index, (image, angle, shift) in enumerate(zip(images, angles, shifts)):
        cos, sin = math.cos(angle), math.sin(angle)
        # affine_transform maps each output pixel back to where it is read in the input.
        inverse = np.array([[cos, sin], [-sin, cos]])
        offset = CENTRE - inverse @ (CENTRE + shift)
        result[index] = np.clip(np.rint(ndimage.affine_transform(
            image.astype(np.float32), inverse, offset, order=1, mode="constant", cval=0.0)), 0, 255)
    return result


class AugmentedDigits(keras.utils.PyDataset):
    """Shuffled batches of (pixels / 255, labels) with every digit freshly moved each epoch."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, *, batch_size: int, seed: int,
                 to_inputs, first_epoch: int = 0):
        super().__init__()
        self.images, self.labels, self.batch_size, self.seed = images, labels, batch_size, seed
        self.to_inputs = to_inputs
        self.epoch = first_epoch
        self.order = self._order()

    def __len__(self) -> int:
        return math.ceil(len(self.labels) / self.batch_size)

    def __getitem__(self, batch: int):
        picked = self.order[batch * self.batch_size:(batch + 1) * self.batch_size]
        rng = np.random.default_rng((self.seed, self.epoch, batch))
        return self.to_inputs(moved(self.images[picked], rng)), self.labels[picked]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = self._order()

    def _order(self) -> np.ndarray:
        return np.random.default_rng((self.seed, self.epoch)).permutation(len(self.labels))
