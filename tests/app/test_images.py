"""PNG thumbnails and the one diverging colour scale they share with the heatmaps."""
import base64
import struct
import zlib

import numpy as np

from app import images
from app.figures import symmetric_limit
from neurons.colours import UNSEEN, colour_rgb, hex_rgb


def test_colour_rgb_maps_zero_to_the_scale_centre_and_ends_to_the_extremes():
    rgb = colour_rgb(np.array([-1.0, 0.0, 1.0, 7.0]), limit=1.0)
    assert rgb[0].tolist() == [0x05, 0x30, 0x61]
    assert rgb[1].tolist() == [0xF7, 0xF7, 0xF7]
    assert rgb[2].tolist() == rgb[3].tolist() == [0x67, 0x00, 0x1F]


def test_colour_rgb_draws_nan_in_the_unseen_grey():
    assert hex_rgb("#c5ccd4") == [0xc5, 0xcc, 0xd4]
    unseen = hex_rgb(UNSEEN)
    colours = colour_rgb(np.array([np.nan, 0.0]), limit=1.0)
    assert colours[0].tolist() == unseen and colours[1].tolist() != unseen


def test_field_thumbnails_are_valid_pngs_of_each_field_on_its_own_scale():
    fields = np.random.default_rng(0).normal(size=(3, 28, 28))
    fields[1, 0, :] = np.nan
    uris = images.field_thumbnails(fields)
    assert len(uris) == 3 and all(uri.startswith("data:image/png;base64,") for uri in uris)
    for uri, field in zip(uris, fields):
        png = base64.b64decode(uri.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (28, 28)
        length = struct.unpack(">I", png[33:37])[0]
        assert png[37:41] == b"IDAT"
        rows = np.frombuffer(zlib.decompress(png[41:41 + length]), np.uint8).reshape(28, 1 + 28 * 3)
        assert (rows[:, 0] == 0).all()
        expected = colour_rgb(field, symmetric_limit(field))
        np.testing.assert_array_equal(rows[:, 1:].reshape(28, 28, 3), expected)
