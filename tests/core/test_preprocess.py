import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from digitpad.core.preprocess import PreprocessSettings, to_gray, to_mnist


def _bbox(img, level=0.15):
    ys, xs = np.nonzero(img > level)
    return ys.min(), ys.max(), xs.min(), xs.max()


def _com(img):
    m = cv2.moments(img)
    return m["m10"] / m["m00"], m["m01"] / m["m00"]


def _seven(size=200, thickness=12, dark_on_light=False):
    img = np.zeros((size, size), np.uint8)
    cv2.line(img, (40, 40), (150, 40), 255, thickness)
    cv2.line(img, (150, 40), (80, 170), 255, thickness)
    return 255 - img if dark_on_light else img


def test_off_centre_blob_is_centred_by_mass():
    img = np.zeros((100, 100), np.uint8)
    cv2.circle(img, (80, 15), 8, 255, -1)
    out = to_mnist(img).image
    cx, cy = _com(out)
    assert abs(cx - 13.5) < 0.3 and abs(cy - 13.5) < 0.3


def test_longer_side_is_20_px_and_aspect_ratio_kept():
    img = np.zeros((300, 300), np.uint8)
    img[30:270, 140:170] = 255  # 240 tall, 30 wide: ratio 8
    out = to_mnist(img).image
    y0, y1, x0, x1 = _bbox(out, 0.5)
    assert y1 - y0 + 1 in (19, 20, 21)
    assert 2 <= x1 - x0 + 1 <= 4


def test_polarity_is_detected():
    light = to_mnist(_seven()).image
    dark = to_mnist(_seven(dark_on_light=True)).image
    assert np.abs(light - dark).max() < 1e-5
    assert light.max() == pytest.approx(1.0, abs=0.05) and light[0, 0] == 0


def test_rgb_and_rgba_match_gray():
    gray = _seven(dark_on_light=True)
    ref = to_mnist(gray).image
    rgb = np.dstack([gray] * 3)
    assert np.abs(to_mnist(rgb).image - ref).max() < 1e-4
    # black ink on a transparent sheet, as many paint programs save it
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[..., 3] = 255 - gray
    assert np.abs(to_mnist(rgba).image - ref).max() < 0.02
    # white ink on a transparent sheet
    rgba_white = rgba.copy()
    rgba_white[..., :3] = 255
    assert np.abs(to_mnist(rgba_white).image - ref).max() < 0.02


@pytest.mark.parametrize("img", [
    np.zeros((28, 28), np.uint8), np.full((50, 80), 255, np.uint8), np.full((40, 40), 0.5, np.float32),
    np.zeros((0, 0), np.uint8), np.zeros((10, 0, 3), np.uint8), np.full((30, 30, 4), 255, np.uint8),
])
def test_blank_inputs_are_empty(img):
    result = to_mnist(img)
    assert result.empty and result.image is None


def test_faint_noise_alone_is_empty():
    rng = np.random.default_rng(0)
    noise = (128 + rng.integers(-5, 6, size=(64, 64))).astype(np.uint8)
    assert to_mnist(noise).empty


def test_tiny_and_huge_inputs():
    dot = np.zeros((3, 3), np.uint8)
    dot[1, 1] = 255
    tiny = to_mnist(dot)
    assert not tiny.empty and tiny.image.shape == (28, 28)
    huge = np.zeros((3000, 3000), np.uint8)
    cv2.line(huge, (1500, 300), (1500, 2700), 255, 6)  # a thin "1": 0.2% of the width
    cv2.line(huge, (1300, 500), (1500, 300), 255, 6)
    out = to_mnist(huge).image
    assert out.max() > 0.5 and (out > 0.3).sum() > 15


def test_mnist_digits_pass_through_nearly_unchanged(mnist_test_sample):
    x, _ = mnist_test_sample
    out = np.stack([to_mnist(img).image for img in x[:100]])
    assert np.abs(out - x[:100] / 255.0).mean() < 0.08


def test_paper_options_and_stages():
    img = _seven()
    plain = to_mnist(img, keep_stages=True)
    assert {"ink", "cropped", "scaled", "centred"} <= set(plain.stages)
    assert np.array_equal(plain.stages["centred"], plain.image)
    paper = to_mnist(img, PreprocessSettings(binarize=True, enhance=True), keep_stages=True)
    assert set(np.unique(paper.stages["binarized"])) <= {0.0, 1.0}
    assert np.array_equal(paper.stages["enhanced"], paper.image)
    assert not np.array_equal(paper.image, plain.image)
    binar = to_mnist(img, PreprocessSettings(binarize=True)).image
    assert set(np.unique(binar)) <= {0.0, 1.0}


@pytest.mark.parametrize("bits", [10, 12, 14, 16])
def test_a_scan_stored_with_fewer_bits_than_its_type_reads_as_its_8_bit_copy(mnist_test_sample, bits):
    x, _ = mnist_test_sample
    page = 255 - x[0].astype(np.uint16)  # dark ink on white paper
    deep = (page * ((2 ** bits - 1) / 255)).round().astype(np.uint16)
    same = to_mnist(page.astype(np.uint8))
    read = to_mnist(deep)
    assert not read.empty and np.abs(read.image - same.image).max() < 0.02


def test_to_gray_rejects_nonsense_shapes():
    with pytest.raises(ValueError):
        to_gray(np.zeros((4, 4, 2)))


images = st.one_of(
    hnp.arrays(st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.int32, bool]),
               hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=64)),
    hnp.arrays(np.uint8, st.tuples(st.integers(0, 40), st.integers(0, 40), st.sampled_from([1, 3, 4]))),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=32),
               elements=st.floats(allow_nan=True, allow_infinity=True, width=64)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images, st.booleans(), st.booleans())
def test_no_input_crashes(img, binarize, enhance):
    result = to_mnist(img, PreprocessSettings(binarize=binarize, enhance=enhance), keep_stages=True)
    if not result.empty:
        assert result.image.shape == (28, 28) and result.image.dtype == np.float32
        assert np.isfinite(result.image).all()
        assert result.image.min() >= 0.0 and result.image.max() <= 1.0 and result.image.max() > 0


def test_a_second_models_finish_from_the_first_models_centred_picture_is_its_own_reading():
    """Two models reading one drawing share the recipe up to the centred picture."""
    from digitpad.core.ink import Ink, ink_to_mnist
    from digitpad.core.preprocess import refinished

    ink = Ink(400, 400, (np.array([[60, 60], [220, 60], [130, 250]], float), np.array([[90, 150], [180, 150]], float)))
    plain = PreprocessSettings()
    for other in (PreprocessSettings(binarize=True, enhance=True), PreprocessSettings(binarize=True),
                  PreprocessSettings(enhance=True), plain):
        first = ink_to_mnist(ink, plain, keep_stages=True)
        assert np.array_equal(refinished(first, other).image, ink_to_mnist(ink, other).image)
    assert refinished(ink_to_mnist(Ink(10, 10, ()), plain), plain).empty


def test_further_ink_widths_round_trip_through_a_sidecar_and_hostile_ones_are_refused():
    settings = PreprocessSettings(stroke_ratio=0.14, also_ratios=(0.084,))
    assert PreprocessSettings.from_dict(settings.to_dict()) == settings
    assert settings.ink_widths == (0.14, 0.084)
    assert "also_stroke_ratios" not in PreprocessSettings().to_dict()  # old sidecars stay as they were
    assert PreprocessSettings.from_dict({"stroke_ratio": 0.1}).also_ratios == ()
    for bad in ("0.08", [0.08] * 4, [0.5], [True], [float("nan")], {"a": 1}):
        with pytest.raises(ValueError, match="also_stroke_ratios"):
            PreprocessSettings.from_dict({"also_stroke_ratios": bad})


def test_an_ink_read_at_several_widths_is_stacked_with_pictures_read_once():
    from digitpad.core.ink import Ink, ink_to_mnist
    from digitpad.core.preprocess import stacked

    t = np.linspace(0, 2 * np.pi, 50)
    ring = Ink(300, 300, (np.c_[150 + 60 * np.cos(t), 150 + 100 * np.sin(t)],))
    settings = PreprocessSettings(also_ratios=(0.084, 0.2))
    pre = ink_to_mnist(ring, settings, keep_stages=True)
    assert pre.model_input.shape == (3, 28, 28) and np.array_equal(pre.model_input[0], pre.image)
    masses = pre.model_input.sum(axis=(1, 2))
    assert masses[1] < 0.8 * masses[0] < 0.8 * masses[2]  # thinner, then thicker, than the main drawing
    assert np.array_equal(pre.image, ink_to_mnist(ring).image)  # the main drawing is the one-width drawing
    assert ink_to_mnist(ring, settings, stroke_ratio=0.1).views == ()  # a training picture: one width
    picture = to_mnist(np.pad(np.ones((10, 6)), 9))
    x, blank = stacked([pre, picture, ink_to_mnist(Ink(10, 10, ()), settings)])
    assert x.shape == (3, 3, 28, 28) and blank.tolist() == [False, False, True]
    assert all(np.array_equal(v, picture.image) for v in x[1])
    assert stacked([picture])[0].shape == (1, 28, 28)


def test_a_small_bitmap_is_enlarged_as_the_model_learnt_bitmaps_and_a_grey_one_crisply(monkeypatch):
    """A two-level 8 px bitmap keeps bilinear enlargement (the model learnt bitmaps so); a grey
    8 px picture is enlarged bicubically, so its strokes stay crisp instead of smeared faint."""
    from digitpad.core import preprocess

    ring = np.zeros((80, 80), np.uint8)
    cv2.circle(ring, (40, 40), 30, 255, 10)
    grey = cv2.resize(ring, (8, 8), interpolation=cv2.INTER_AREA)
    binary = np.where(grey > 127, 255, 0).astype(np.uint8)
    assert preprocess.two_level(binary / 255.0) and not preprocess.two_level(grey / 255.0)
    _, jpeg = cv2.imencode(".jpg", np.kron(binary, np.ones((2, 2), np.uint8)), [cv2.IMWRITE_JPEG_QUALITY, 75])
    assert preprocess.two_level(cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE) / 255.0)  # its ringing is not grey
    read = {name: to_mnist(img).image for name, img in (("binary", binary), ("grey", grey))}
    monkeypatch.setattr(preprocess, "CUBIC_FROM", float("inf"))
    assert np.array_equal(to_mnist(binary).image, read["binary"])
    bilinear = to_mnist(grey).image

    def strong_share(img):  # of all the ink, the share in pixels more than half inked
        return float(img[img > 0.5].sum() / img.sum())

    assert strong_share(read["grey"]) > strong_share(bilinear) + 0.05  # measured: 0.66 against 0.56
    assert read["grey"].max() > bilinear.max() + 0.05  # 0.95 against 0.82
