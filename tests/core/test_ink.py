import json

import numpy as np
import pytest

from digitpad.core import ink as ink_module
from digitpad.core.errors import InkError
from digitpad.core.preprocess import PreprocessSettings
from digitpad.core.ink import (Ink, default_pen_width, flip_y, ink_to_mnist, iter_jsonl, parse_ink, read_ink, render,
                               render_normalised, without_stray_taps, write_ink)

SEVEN = {"width": 280, "height": 280,
         "strokes": [[[60, 60], [200, 60], [120, 230]], [[90, 140, 0.4, 120], [170, 140, 0.9, 180]]]}


def _scaled(doc, factor, pen=None):
    out = {"width": doc["width"] * factor, "height": doc["height"] * factor,
           "strokes": [[[p[0] * factor, p[1] * factor, *p[2:]] for p in s] for s in doc["strokes"]]}
    if pen is not None:
        out["pen_width"] = pen
    return out


def test_parse_points_with_pressure_and_time_and_keep_extra_keys():
    doc = dict(SEVEN, label=7, writer="ana", pen_width=12)
    ink = parse_ink(json.dumps(doc))
    assert ink.width == 280 and ink.pen_width == 12 and len(ink.strokes) == 2
    assert ink.strokes[1].shape == (2, 4)
    again = json.loads(ink.to_json())
    assert again["label"] == 7 and again["writer"] == "ana"
    assert again["strokes"] == doc["strokes"]
    assert parse_ink(ink.to_json()) == ink


def test_pen_width_defaults_to_the_gui_default():
    ink = parse_ink(json.dumps(SEVEN))
    assert ink.pen_width is None
    assert ink.effective_pen_width == default_pen_width(280, 280) > 1
    assert "pen_width" not in ink.to_dict()


@pytest.mark.parametrize("text, words", [
    ("{", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"width": 10, "height": 10}', "missing key 'strokes'"),
    ('{"width": -1, "height": 10, "strokes": []}', "'width' must be a positive number"),
    ('{"height": "tall", "strokes": []}', "'height' must be a positive number"),
    ('{"width": 10, "height": 10, "strokes": {}}', "'strokes' must be a list"),
    ('{"width": 10, "height": 10, "strokes": [[[1, 2], [1, 2, 3]]]}', "stroke 0"),
    ('{"width": 10, "height": 10, "strokes": [[[1]]]}', "stroke 0"),
    ('{"width": 10, "height": 10, "strokes": [[["a", 2]]]}', "stroke 0"),
    ('{"width": 10, "height": 10, "strokes": [[[NaN, 2]]]}', "non-finite"),
    ('{"width": 10, "height": 10, "strokes": [[[true, 2]]]}', "boolean"),
    ('{"width": 10, "height": 10, "strokes": [5]}', "stroke 0 must be a list"),
])
def test_malformed_ink_is_one_clear_error(text, words):
    with pytest.raises(InkError) as err:
        parse_ink(text, "pad.json")
    assert words in str(err.value) and "pad.json" in str(err.value)


def test_file_round_trip_and_missing_file(tmp_path):
    ink = parse_ink(json.dumps(SEVEN))
    write_ink(tmp_path / "seven.json", ink)
    assert read_ink(tmp_path / "seven.json") == ink
    with pytest.raises(InkError, match="cannot read"):
        read_ink(tmp_path / "nope.json")


def test_jsonl_names_lines_and_skips_blanks():
    lines = [json.dumps(SEVEN), "", json.dumps(SEVEN)]
    names = [name for name, _ in iter_jsonl(lines, "set.jsonl")]
    assert names == ["set.jsonl:1", "set.jsonl:3"]


def test_render_draws_the_strokes_where_they_are():
    ink = parse_ink(json.dumps(dict(SEVEN, pen_width=10)))
    img = render(ink)
    assert img.shape == (280, 280) and img.dtype == np.uint8
    assert img[60, 130] == 255 and img[10, 10] == 0
    light = render(parse_ink(json.dumps({"width": 100, "height": 100, "pen_width": 20,
                                         "strokes": [[[10, 50, 0.1], [90, 50, 0.1]]]})))
    heavy = render(parse_ink(json.dumps({"width": 100, "height": 100, "pen_width": 20,
                                         "strokes": [[[10, 50, 1.0], [90, 50, 1.0]]]})))
    assert (light > 127).sum() < (heavy > 127).sum()


def test_model_input_ignores_brush_size_and_writing_size():
    thin = ink_to_mnist(parse_ink(json.dumps(dict(SEVEN, pen_width=2)))).image
    thick = ink_to_mnist(parse_ink(json.dumps(dict(SEVEN, pen_width=60)))).image
    assert np.array_equal(thin, thick)
    small = ink_to_mnist(parse_ink(json.dumps(_scaled(SEVEN, 0.25)))).image
    assert np.abs(small - thin).mean() < 0.02


def test_model_input_looks_like_mnist():
    img = ink_to_mnist(parse_ink(json.dumps(SEVEN))).image
    ys, xs = np.nonzero(img > 0.15)
    assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 in (19, 20, 21)
    assert img.max() > 0.9


def test_empty_ink_gives_no_input():
    assert ink_to_mnist(Ink(100, 100, ())).empty
    assert ink_to_mnist(parse_ink('{"width": 9, "height": 9, "strokes": [[], []]}')).empty
    assert render_normalised(Ink(100, 100, ())).size == 0


def test_single_tap_does_not_crash():
    result = ink_to_mnist(parse_ink('{"width": 100, "height": 100, "strokes": [[[50, 50]]]}'))
    assert result.image is None or result.image.shape == (28, 28)


def test_model_input_is_to_mnist_of_the_normalised_rendering():
    """ink_to_mnist skips polarity detection; it must give exactly what the general path gives."""
    from digitpad.core.preprocess import to_mnist

    for doc in (SEVEN, _scaled(SEVEN, 0.1), {"width": 50, "height": 50, "strokes": [[[5, 5], [5, 45]]]}):
        ink = parse_ink(json.dumps(doc))
        fast = ink_to_mnist(ink, keep_stages=True)
        general = to_mnist(render_normalised(ink), keep_stages=True)
        assert np.array_equal(fast.image, general.image)
        assert fast.stages.keys() == general.stages.keys()


def test_many_strokes_render_like_one_polyline():
    # densely sampled, so the spline for sparse ink leaves the single stroke alone
    points = [[10 + 0.5 * i, 20 + (i % 3) * 0.3] for i in range(200)]
    one = Ink(200, 200, (np.array(points, float),))
    pieces = Ink(200, 200, tuple(np.array(points[i:i + 2], float) for i in range(199)))
    assert np.array_equal(render_normalised(one), render_normalised(pieces))


def _ellipse(n: int) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n + 1)
    return np.c_[100 + 60 * np.cos(t), 100 + 80 * np.sin(t)]


def test_sparse_tablet_ink_looks_like_the_dense_drawing(monkeypatch):
    """Seven samples of an oval (a 10 Hz tablet) must give the model an oval, not a heptagon."""
    dense = ink_to_mnist(Ink(200, 200, (_ellipse(400),))).image
    sparse = Ink(200, 200, (_ellipse(7),))
    curved = np.abs(ink_to_mnist(sparse).image - dense).mean()
    monkeypatch.setattr(ink_module, "densify", lambda stroke, step: np.asarray(stroke)[:, :2])
    straight = np.abs(ink_to_mnist(sparse).image - dense).mean()
    assert curved < 0.5 * straight


def test_flip_y_mirrors_only_the_vertical_axis():
    ink = Ink(200, 100, (np.array([[10.0, 20.0, 0.5, 0.0], [30.0, 90.0, 0.7, 16.0]]),), pen_width=4)
    up = flip_y(ink)
    assert up.strokes[0].tolist() == [[10.0, 80.0, 0.5, 0.0], [30.0, 10.0, 0.7, 16.0]]
    assert (up.width, up.height, up.pen_width) == (200, 100, 4)
    assert flip_y(up) == ink and ink.strokes[0][0, 1] == 20.0  # the original is left alone


def test_a_missing_or_zero_canvas_size_is_taken_from_the_points():
    one = parse_ink('{"width": 0, "strokes": [[[30, 10], [30.2, 90]]], "label": 1}')
    assert (one.width, one.height) == (32, 91) and one.extra == {"label": 1}
    assert ink_to_mnist(one).image.shape == (28, 28)
    assert "width" in one.to_dict() and parse_ink(one.to_json()) == one
    empty = parse_ink('{"strokes": []}')
    assert (empty.width, empty.height) == (1, 1) and empty.is_empty


def test_a_models_stroke_ratio_draws_its_ink_thinner_or_thicker():
    ink = parse_ink(json.dumps(SEVEN))
    default = ink_to_mnist(ink).image
    thin = ink_to_mnist(ink, PreprocessSettings(stroke_ratio=0.07)).image
    assert thin.sum() < 0.75 * default.sum()
    # an explicit ratio (training's redraws) wins over the settings'
    assert np.array_equal(ink_to_mnist(ink, PreprocessSettings(stroke_ratio=0.07), stroke_ratio=0.14).image, default)


def test_vanishingly_small_numbers_in_ink_are_zero():
    """Found by bench/fuzz.py: a coordinate of 4e-164 underflowed when squared in the spline."""
    import json

    import numpy as np

    from digitpad.core.ink import ink_to_mnist, parse_ink

    doc = {"strokes": [[[4.0e-164, 4458, 4.6e16, 5.6e-219], [4499, 0.5, -557376309, -1.4e-243],
                        [0.0, 0.0, -75645, -476192], [4.0e-164, 4458, 4.6e16, 5.6e-219]]]}
    ink = parse_ink(json.dumps(doc))
    assert ink.strokes[0][0, 0] == 0.0 and ink.strokes[0][0, 1] == 4458
    with np.errstate(all="raise"):
        assert not ink_to_mnist(ink).empty


def _seven(offset=(0.0, 0.0)):
    ox, oy = offset
    return [np.array([[100 + ox, 100 + oy], [220 + ox, 100 + oy], [150 + ox, 280 + oy]], float)]


def test_a_pen_tap_beside_the_digit_is_not_read():
    """The tap would stretch the drawing's box and shrink the digit into a corner."""
    clean = Ink(400, 400, tuple(_seven()))
    tapped = Ink(400, 400, tuple(_seven() + [np.array([[330.0, 200.0], [331.0, 201.0]])]))
    assert len(without_stray_taps(tapped).strokes) == 1
    assert np.array_equal(ink_to_mnist(tapped).image, ink_to_mnist(clean).image)


def test_dots_that_are_part_of_the_digit_stay():
    t = np.linspace(0, 2 * np.pi, 40)
    ring = np.stack([200 + 60 * np.cos(t), 200 + 90 * np.sin(t)], 1)
    dotted_zero = Ink(400, 400, (ring, np.array([[200.0, 200.0], [201.0, 201.0]])))
    touching = Ink(400, 400, tuple(_seven() + [np.array([[222.0, 96.0], [226.0, 92.0]])]))  # the bar's tip
    only_dots = Ink(400, 400, (np.array([[10.0, 10.0]]), np.array([[300.0, 300.0]])))
    for ink in (dotted_zero, touching, only_dots, Ink(400, 400, tuple(_seven()))):
        assert without_stray_taps(ink) is ink


def test_a_far_tap_beside_a_digit_of_several_strokes_is_not_read():
    """The tap is measured against the digit's strokes, not against the box it stretches."""
    four = (np.array([[100.0, 100.0], [60.0, 200.0], [160.0, 200.0]]), np.array([[140.0, 120.0], [140.0, 280.0]]))
    tapped = Ink(4000, 4000, four + (np.array([[1900.0, 1900.0], [1901.0, 1901.0]]),))
    assert len(without_stray_taps(tapped).strokes) == 2
    assert np.array_equal(ink_to_mnist(tapped).image, ink_to_mnist(Ink(400, 400, four)).image)
