"""The figure ``digitpad explain`` writes, composed from plain arrays (no model needed)."""
import cv2
import numpy as np
import pytest

from digitpad.core.errors import DigitPadError
from digitpad.core.explain_figure import (BIG, WIDTH, Figure, Neighbours, render, saliency_picture,
                                          save_figure, strongest_channels)


def _figure(**changes) -> Figure:
    image = np.zeros((28, 28), np.float32)
    image[6:22, 12:16] = 1.0  # a 1
    p = np.full(10, 0.01, np.float32)
    p[1] = 0.91
    saliency = np.zeros((28, 28), np.float32)
    saliency[6:14, 12:16], saliency[14:22, 12:16] = 0.5, -0.25
    maps = {"conv": np.random.default_rng(0).random((28, 28, 12), dtype=np.float32)}
    e = Figure(image, p, 1, saliency, image * 0.9, strongest_channels(maps, [("conv", "Conv2D")]),
                    Neighbours(np.zeros((8, 28, 28), np.uint8), tuple(range(8)), "code", "autoencoder code"),
                    "digit", "", "one.json, model m (m.keras)")
    return Figure(**{**e.__dict__, **changes})


def test_strongest_channels_are_the_most_active_first():
    maps = np.zeros((7, 7, 10), np.float32)
    maps[..., 3], maps[..., 7], maps[..., 1] = 3.0, 2.0, 1.0
    maps[0, 0, 5] = -9.0
    row, = strongest_channels({"enc": maps}, [("enc", "Activation")], n=4)
    assert row.channels[:3] == (3, 7, 1) and 5 not in row.channels
    assert row.maps.shape == (4, 7, 7) and np.all(row.maps[0] == 3.0)
    assert row.layer == "enc" and row.kind == "Activation" and row.shape == (7, 7, 10)


def test_saliency_is_red_for_and_blue_against_scaled_by_the_largest():
    e = _figure()
    pic = saliency_picture(e.image, e.saliency, size=28)
    b, g, r = (int(v) for v in pic[8, 13])
    assert r > 150 and b < 30 and g < 30  # the strongest "for": full red
    b, g, r = (int(v) for v in pic[18, 13])
    assert b > r and b > g and b < 235  # "against", half as strong: bluish, not full blue
    assert tuple(pic[2, 2]) == (255, 255, 255)  # no ink: white


def test_render_with_and_without_the_optional_parts():
    full = render(_figure())
    assert full.shape[1] == WIDTH and full.dtype == np.uint8
    bare = render(_figure(reconstruction=None, rows=[], neighbours=None, note="no nearest MNIST digits"))
    assert bare.shape[1] == WIDTH and BIG < bare.shape[0] < full.shape[0]
    # "no decoder": the reconstruction panel is an empty frame, where the full figure has the picture
    assert full[100:150, 24 + BIG + 28 + 10:24 + 2 * BIG + 28 - 10].min() < 50
    assert bare[100:150, 24 + BIG + 28 + 10:24 + 2 * BIG + 28 - 10].min() > 50


def test_save_figure_is_a_picture_or_nothing(tmp_path):
    save_figure(_figure(), tmp_path / "fig.png")
    assert cv2.imread(str(tmp_path / "fig.png")).shape == render(_figure()).shape
    with pytest.raises(DigitPadError, match="name the figure .png"):
        save_figure(_figure(), tmp_path / "fig.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]
