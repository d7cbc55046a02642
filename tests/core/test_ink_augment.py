import numpy as np

from digitpad.core.ink import MODEL_STROKE_RATIO, Ink, ink_to_mnist
from digitpad.core.ink_augment import InkDistortion, distort, ink_variants


def _seven() -> Ink:
    t = np.arange(12, dtype=float)
    bar = np.column_stack([np.linspace(40, 160, 6), np.full(6, 40.0), np.full(6, 0.7), t[:6]])
    leg = np.column_stack([np.linspace(160, 90, 6), np.linspace(40, 190, 6), np.full(6, 0.5), t[6:]])
    return Ink(200, 200, (bar, leg))


def test_distort_moves_points_but_keeps_strokes_pressure_and_time():
    ink = _seven()
    moved = distort(ink, np.random.default_rng(3))
    assert [len(s) for s in moved.strokes] == [len(s) for s in ink.strokes]
    for a, b in zip(ink.strokes, moved.strokes):
        assert np.array_equal(a[:, 2:], b[:, 2:])
        assert not np.allclose(a[:, :2], b[:, :2])
    again = distort(ink, np.random.default_rng(3))
    assert all(np.array_equal(a, b) for a, b in zip(moved.strokes, again.strokes))


def test_no_distortion_redraws_exactly_what_the_app_shows_the_model():
    still = InkDistortion(rotation_deg=0, shear=0, aspect=0, wobble=0,
                          stroke_ratio=(MODEL_STROKE_RATIO, MODEL_STROKE_RATIO))
    drawn = ink_variants([_seven()], 2, config=still, workers=1)
    expected = np.round(ink_to_mnist(_seven()).image * 255).astype(np.uint8)
    assert drawn.shape == (1, 2, 28, 28)
    assert np.array_equal(drawn[0, 0], expected) and np.array_equal(drawn[0, 1], expected)


def test_variants_differ_but_stay_the_same_digit_and_do_not_depend_on_workers():
    inks = [_seven(), distort(_seven(), np.random.default_rng(1))] * 300  # two chunks of 500 and 100
    one = ink_variants(inks, 3, seed=5, workers=1)
    two = ink_variants(inks, 3, seed=5, workers=2)
    assert one.shape == (600, 3, 28, 28) and np.array_equal(one, two)
    base = ink_to_mnist(_seven()).image.ravel()
    for v in one[0]:
        assert np.corrcoef(base, v.ravel().astype(float))[0, 1] > 0.5  # still a seven
    assert len({v.tobytes() for v in one[0]}) == 3
    assert not np.array_equal(ink_variants(inks[:1], 3, seed=6, workers=1)[0], one[0])


def test_no_inks_or_no_copies_give_empty_arrays():
    assert ink_variants([], 4).shape == (0, 4, 28, 28)
    assert ink_variants([_seven()], 0).shape == (1, 0, 28, 28)
