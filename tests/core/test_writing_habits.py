import cv2
import numpy as np
import pytest

from digitpad.core.ink import Ink, ink_to_mnist
from digitpad.core.writing_habits import HABITS, habit_ink, habit_pictures

SEEDS = range(8)


def _inks(name: str) -> list[Ink]:
    return [habit_ink(name, np.random.default_rng(seed)) for seed in SEEDS]


def _picture(ink: Ink) -> np.ndarray:
    """The model input, thresholded: True where there is ink."""
    return ink_to_mnist(ink).image > 0.4


def _without_last_stroke(ink: Ink) -> Ink:
    return ink.with_strokes(ink.strokes[:-1])


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of each stretch of ink in a row of a thresholded picture."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
    return [(int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2])]


def _box(pic: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(pic.any(axis=1)), np.flatnonzero(pic.any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


def _centre_has_ink(pic: np.ndarray) -> bool:
    # ink_to_mnist centres the centre of mass, which for a zero is the middle of its ring
    return bool(pic[12:16, 12:16].any())


def _inside(stroke: np.ndarray, ring: np.ndarray) -> np.ndarray:
    contour = ring[:, :2].astype(np.float32).reshape(-1, 1, 2)
    return np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), False) > 0 for x, y in stroke[:, :2]])


def _widest(pic: np.ndarray, lo: float, hi: float) -> int:
    """The longest stretch of ink in the rows between ``lo`` and ``hi`` of the ink's height."""
    top, bottom, _, _ = _box(pic)
    height = bottom - top + 1
    return max((n for r in range(top + int(lo * height), top + int(hi * height)) for _, n in _runs(pic[r])),
               default=0)


@pytest.mark.parametrize("name", ["slashed_zero", "barred_zero"])
def test_a_struck_zero_has_ink_in_its_hole_and_the_stroke_crosses_the_ring(name):
    for ink in _inks(name):
        assert len(ink.strokes) == 2
        assert _centre_has_ink(_picture(ink))
        assert not _centre_has_ink(_picture(_without_last_stroke(ink)))  # the plain oval is hollow
        inside = _inside(ink.strokes[1], ink.strokes[0])
        assert inside.any() and not inside[0] and not inside[-1]  # starts and ends outside


def test_a_slash_leans_forward_in_most_slashed_zeros():
    rng = np.random.default_rng(0)
    slashes = [habit_ink("slashed_zero", rng).strokes[1] for _ in range(40)]
    # "/": the end further right is the higher one (y down)
    forward = sum((s[-1, 0] - s[0, 0]) * (s[-1, 1] - s[0, 1]) < 0 for s in slashes)
    assert 25 <= forward < 40


def test_a_dotted_zero_is_a_ring_and_a_separate_dot_in_its_middle():
    for ink in _inks("dotted_zero"):
        pic = _picture(ink)
        count, labels, stats, centroids = cv2.connectedComponentsWithStats(pic.astype(np.uint8))
        assert count == 3  # background, ring, dot
        dot = 1 + int(np.argmin(stats[1:, cv2.CC_STAT_AREA]))
        assert np.abs(centroids[dot] - 13.5).max() < 3
        assert not _centre_has_ink(_picture(_without_last_stroke(ink)))


def _widest_row_span(pic: np.ndarray) -> float:
    """How far apart the leftmost and rightmost ink of one row in the upper half can be, as a
    share of the ink's height."""
    top, bottom, _, _ = _box(pic)
    height = bottom - top + 1
    return max((np.ptp(np.flatnonzero(row)) + 1) / height for row in pic[top:top + height // 2] if row.any())


def test_a_flagged_one_is_tall_with_a_long_flag_apart_from_its_stem():
    for ink in _inks("flagged_one"):
        pic = _picture(ink)
        top, bottom, left, right = _box(pic)
        assert bottom - top > right - left
        assert _widest_row_span(pic) >= 0.3
        assert any(len(_runs(row)) == 2 for row in pic[top:(top + bottom) // 2])  # flag, gap, stem
        # the bare stem, from the flag's tip at its top down: a stick, narrow at every row
        stroke = ink.strokes[0]
        assert _widest_row_span(_picture(ink.with_strokes([stroke[np.argmin(stroke[:, 1]):]]))) <= 0.25


def test_about_half_the_flagged_ones_stand_on_a_foot():
    rng = np.random.default_rng(2)
    inks = [habit_ink("flagged_one", rng) for _ in range(30)]
    footed = [ink for ink in inks if len(ink.strokes) == 2]
    assert all(len(ink.strokes) in (1, 2) for ink in inks)
    assert 8 <= len(footed) <= 22
    for ink in footed[:8]:
        assert _widest(_picture(ink), 0.9, 1.0) >= 6  # a bar across the bottom
        assert _widest(_picture(_without_last_stroke(ink)), 0.9, 1.0) <= 4  # a stem's end


def test_a_curled_one_is_one_tall_stroke_whose_foot_turns_right():
    for ink in _inks("curled_one"):
        assert len(ink.strokes) == 1
        stroke = ink.strokes[0]
        top, height = stroke[:, 1].min(), np.ptp(stroke[:, 1])
        low_stem = stroke[np.flatnonzero(stroke[:, 1] > top + 0.65 * height)[0]]
        assert stroke[-1, 0] > low_stem[0] + 0.1 * height  # ends well right of the stem
        top, bottom, left, right = _box(_picture(ink))
        assert bottom - top > right - left


def test_a_crossed_seven_has_a_top_bar_and_a_bar_across_its_leg():
    for ink in _inks("crossed_seven"):
        assert len(ink.strokes) == 2
        pic = _picture(ink)
        _, _, left, right = _box(pic)
        assert _widest(pic, 0, 0.2) >= 0.6 * (right - left + 1)
        assert _widest(pic, 0.35, 0.7) >= 7
        # the same seven without its cross has only the diagonal at mid height
        assert _widest(_picture(_without_last_stroke(ink)), 0.35, 0.7) <= 5


def test_an_open_four_is_one_stroke_open_at_the_top_with_a_wide_bar():
    for ink in _inks("open_four"):
        assert len(ink.strokes) == 1
        pic = _picture(ink)
        top, bottom, left, right = _box(pic)
        height, width = bottom - top + 1, right - left + 1
        assert any(len(_runs(pic[r])) == 2 for r in range(top, top + height // 4))
        # above the bar the arm and the stem never meet: a closed four would be one piece there
        above_bar = pic[:top + int(0.35 * height)].astype(np.uint8)
        assert cv2.connectedComponents(above_bar)[0] - 1 == 2
        assert max(n for r in range(top + height // 2, bottom) for _, n in _runs(pic[r])) >= 0.7 * width


def test_a_loop_nine_has_a_closed_loop_on_top_and_a_tail_ending_low_left():
    for ink in _inks("loop_nine"):
        assert len(ink.strokes) == 1
        pic = _picture(ink).astype(np.uint8)
        contours, hierarchy = cv2.findContours(pic, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
        holes = [c.reshape(-1, 2) for c, h in zip(contours, hierarchy[0]) if h[3] != -1]
        assert holes
        hole = max(holes, key=len).mean(axis=0)
        top, bottom, _, _ = _box(pic)
        assert hole[1] < (top + bottom) / 2
        lowest_row = np.flatnonzero(pic[bottom])
        assert lowest_row.mean() < hole[0]


def test_unknown_habit_is_an_error():
    with pytest.raises(ValueError, match="unknown writing habit"):
        habit_ink("mirrored_three", np.random.default_rng(0))


def test_habit_inks_fit_their_canvas_at_a_random_size():
    rng = np.random.default_rng(1)
    sizes = []
    for name in HABITS:
        for _ in range(5):
            ink = habit_ink(name, rng, canvas=200.0)
            pts = ink.points()
            assert ink.width == ink.height == 200.0
            assert pts.min() >= 0 and pts.max() <= 200.0
            sizes.append(np.ptp(pts, axis=0).max() / 200.0)
    assert 0.5 - 1e-9 <= min(sizes) and max(sizes) <= 0.9 + 1e-9 and np.ptp(sizes) > 0.2


def test_habit_pictures_are_balanced_labelled_and_depend_only_on_the_seed():
    n = 2 * len(HABITS) * 20  # two chunks of 250 and one of 70
    images, labels = habit_pictures(n, seed=3, workers=1)
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.int64
    per_habit = np.bincount(labels, minlength=10)
    expected = np.bincount(list(HABITS.values()), minlength=10) * (n // len(HABITS))
    assert np.array_equal(per_habit, expected)
    assert np.array_equal(labels[:len(HABITS)], list(HABITS.values()))
    assert (images.reshape(n, -1).max(axis=1) > 200).all()  # every picture has ink
    again, _ = habit_pictures(n, seed=3, workers=2)
    assert np.array_equal(images, again)
    other, _ = habit_pictures(len(HABITS), seed=4, workers=1)
    assert not np.array_equal(images[:len(HABITS)], other)
    assert habit_pictures(0)[0].shape == (0, 28, 28)
