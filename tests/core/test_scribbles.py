import cv2
import numpy as np
import pytest

from digitpad.core.ink import Ink, ink_to_mnist
from digitpad.core.ink_augment import InkDistortion
from digitpad.core.scribbles import KINDS, scribble_ink, scribble_pictures

SEEDS = range(8)


def _inks(kind: str) -> list[Ink]:
    return [scribble_ink(kind, np.random.default_rng(seed)) for seed in SEEDS]


def _picture(ink: Ink) -> np.ndarray:
    """The model input, thresholded: True where there is ink."""
    return ink_to_mnist(ink).image > 0.4


def _pieces(pic: np.ndarray) -> int:
    return cv2.connectedComponents(pic.astype(np.uint8))[0] - 1


def _size(ink: Ink) -> float:
    return float(np.ptp(ink.points(), axis=0).max())


def _length(stroke: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(stroke[:, :2], axis=0), axis=1).sum())


def _corners(stroke: np.ndarray, size: float, eps: float = 0.04) -> np.ndarray:
    """The stroke as a polyline of straight pieces (Douglas-Peucker, ``eps`` of ``size``)."""
    curve = stroke[:, :2].astype(np.float32).reshape(-1, 1, 2)
    return cv2.approxPolyDP(curve, eps * size, False).reshape(-1, 2).astype(float)


def _turns(stroke: np.ndarray, size: float, degrees: float, closed: bool = False) -> int:
    """How many corners of the straightened stroke turn by more than ``degrees`` (``closed``:
    counting the one where it ends, as it goes on round)."""
    corners = _corners(stroke, size)
    v = np.diff(np.vstack([corners, corners[1:2]]) if closed else corners, axis=0)
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    return int(((u[:-1] * u[1:]).sum(axis=1) < np.cos(np.deg2rad(degrees))).sum())


def _slope(stroke: np.ndarray) -> float:
    """Degrees between the line from the stroke's start to its end and the horizontal, 0-90."""
    dx, dy = np.abs(stroke[-1, :2] - stroke[0, :2])
    return float(np.degrees(np.arctan2(dy, dx)))


def _reversals(stroke: np.ndarray, share: float = 0.3) -> int:
    """Turns back across the stroke's main direction, each by more than ``share`` of its reach."""
    xy = stroke[:, :2] - stroke[:, :2].mean(axis=0)
    across = xy @ np.linalg.svd(xy, full_matrices=False)[2][1]
    step, count, extreme, heading = share * np.ptp(across), 0, across[0], 0
    for v in across:
        if heading * (v - extreme) > 0:  # further the same way
            extreme = v
        elif abs(v - extreme) > step:  # back by more than a step: a turn (or the first move)
            count += heading != 0
            heading, extreme = np.sign(v - extreme), v
    return count


def _cross2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _crosses(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether the straight lines from start to end of two strokes cross."""
    def side(p, q, r):
        return np.sign(_cross2(q - p, r - p))
    p, q, r, s = a[0, :2], a[-1, :2], b[0, :2], b[-1, :2]
    return side(p, q, r) != side(p, q, s) and side(r, s, p) != side(r, s, q)


def _is_closed_lap(stroke: np.ndarray, size: float) -> bool:
    """Once round a convex outline, ending near the start: an oval, or a polygon."""
    hull = cv2.convexHull(stroke[:, :2].astype(np.float32))
    return (np.linalg.norm(stroke[-1, :2] - stroke[0, :2]) < 0.15 * size
            and _length(stroke) < 1.25 * cv2.arcLength(hull, True))


def test_kinds_are_the_promised_ones_and_an_unknown_kind_is_an_error():
    assert set(KINDS) == {"random_lines", "loops", "spiral", "hatching", "zigzag", "wave", "triangle",
                          "rectangle", "star", "cross", "plus", "hash", "smiley", "heart", "arrow", "check",
                          "dots"}
    with pytest.raises(ValueError, match="unknown scribble kind"):
        scribble_ink("seven", np.random.default_rng(0))


def test_every_kind_draws_ink_inside_its_canvas_at_a_random_size():
    rng = np.random.default_rng(1)
    for kind in KINDS:
        sizes = []
        for _ in range(6):
            ink = scribble_ink(kind, rng, canvas=200.0)
            pts = ink.points()
            assert ink.width == ink.height == 200.0
            assert pts.min() >= 0 and pts.max() <= 200.0, kind
            assert ink_to_mnist(ink).image.max() > 0.8, kind
            sizes.append(_size(ink) / 200.0)
        assert 0.4 - 1e-9 <= min(sizes) and max(sizes) <= 0.9 + 1e-9, kind
        assert np.ptp(sizes) > 0.1, kind


@pytest.mark.parametrize("kind", KINDS)
def test_no_kind_is_a_lone_straight_line_or_a_lone_oval(kind):
    for ink in _inks(kind):
        if len(ink.strokes) > 1:
            continue
        stroke, size = ink.strokes[0], _size(ink)
        spread = np.linalg.svd(stroke - stroke.mean(axis=0), compute_uv=False) / np.sqrt(len(stroke))
        assert spread[1] > 0.02 * size  # off the line through it: not a one
        if _is_closed_lap(stroke, size):  # a closed shape needs corners, or it is a zero
            assert _turns(stroke, size, 60, closed=True) >= 2


def test_random_lines_are_several_strokes_or_one_with_many_sharp_turns():
    for ink in _inks("random_lines"):
        assert len(ink.strokes) >= 3 or _turns(ink.strokes[0], _size(ink), 60) >= 4


def test_a_looping_scribble_is_one_long_stroke_over_a_small_area():
    for ink in _inks("loops"):
        assert len(ink.strokes) == 1
        assert _length(ink.strokes[0]) > 4 * _size(ink)


def test_a_spiral_is_one_stroke_winding_more_than_twice_round_its_middle():
    for ink in _inks("spiral"):
        assert len(ink.strokes) == 1
        pts = ink.strokes[0]
        v = np.diff(pts, axis=0)
        turning = np.arctan2(_cross2(v[:-1], v[1:]), (v[:-1] * v[1:]).sum(axis=1)).sum()
        assert abs(turning) > 4 * np.pi  # the pen's heading goes round more than twice
        r = np.linalg.norm(pts - (pts.min(axis=0) + pts.max(axis=0)) / 2, axis=1)
        assert min(r[0], r[-1]) < 0.4 * max(r[0], r[-1])  # one end in the middle, one outside


def test_hatching_is_four_or_more_parallel_strokes_side_by_side():
    for ink in _inks("hatching"):
        assert len(ink.strokes) >= 4
        d = np.array([s[-1] - s[0] for s in ink.strokes])
        d *= np.where(d @ d[0] < 0, -1, 1)[:, None]  # either way along a line is the same line
        angles = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
        assert np.ptp(angles) < 15
        normal = np.array([-d[0, 1], d[0, 0]]) / np.linalg.norm(d[0])
        offsets = np.sort([s.mean(axis=0) @ normal for s in ink.strokes])
        assert np.diff(offsets).min() > 0.05 * _size(ink)
        assert not any(_crosses(a, b) for i, a in enumerate(ink.strokes) for b in ink.strokes[i + 1:])


def test_a_hash_is_two_bars_across_two_posts():
    for ink in _inks("hash"):
        assert len(ink.strokes) == 4
        bars = [s for s in ink.strokes if _slope(s) < 30]
        posts = [s for s in ink.strokes if _slope(s) > 50]
        assert len(bars) == len(posts) == 2
        assert all(_crosses(bar, post) for bar in bars for post in posts)


@pytest.mark.parametrize("kind, lo, hi", [("cross", 45, 135), ("plus", 60, 120)])
def test_a_cross_and_a_plus_are_two_strokes_crossing_near_their_middles(kind, lo, hi):
    for ink in _inks(kind):
        a, b = ink.strokes
        assert _crosses(a, b)
        da, db = a[-1] - a[0], b[-1] - b[0]
        between = np.degrees(np.arccos(da @ db / np.linalg.norm(da) / np.linalg.norm(db)))
        assert lo < between < hi
        for s in (a, b):  # neither is a T: each reaches well past the other on both sides
            other = b if s is a else a
            dist = np.abs(_cross2(other[-1] - other[0], s - other[0])) / np.linalg.norm(other[-1] - other[0])
            assert dist[0] > 0.2 * _length(s) and dist[-1] > 0.2 * _length(s)
        if kind == "plus":
            flat, steep = sorted(_slope(s) for s in (a, b))
            assert flat < 25 and steep > 60


def test_zigzags_and_waves_turn_back_and_forth_in_one_stroke():
    for ink in _inks("zigzag"):
        assert len(ink.strokes) == 1
        assert _reversals(ink.strokes[0]) >= 4
        assert _turns(ink.strokes[0], _size(ink), 60) >= 4
    for ink in _inks("wave"):
        assert len(ink.strokes) == 1
        assert _reversals(ink.strokes[0]) >= 3


@pytest.mark.parametrize("kind, corners", [("triangle", 3), ("rectangle", 4)])
def test_a_polygon_has_its_corners_in_one_or_two_strokes(kind, corners):
    for ink in _inks(kind):
        assert len(ink.strokes) in (1, 2)
        hull = cv2.convexHull(ink.points().astype(np.float32))
        assert len(cv2.approxPolyDP(hull, 0.04 * cv2.arcLength(hull, True), True)) == corners
        assert _pieces(_picture(ink)) == 1


def test_a_star_is_one_stroke_with_five_sharp_points():
    for ink in _inks("star"):
        assert len(ink.strokes) == 1
        assert _turns(ink.strokes[0], _size(ink), 100) >= 4  # the fifth point is where it starts


def test_a_smiley_is_a_closed_face_with_eyes_and_a_mouth_inside():
    apart = 0
    for ink in [scribble_ink("smiley", np.random.default_rng(seed)) for seed in range(20)]:
        face = max(ink.strokes, key=len)
        size = _size(ink)
        assert len(ink.strokes) == 4
        d = face - face.mean(axis=0)
        assert abs(np.ptp(np.unwrap(np.arctan2(d[:, 1], d[:, 0])))) > 2 * np.pi - 0.2  # all the way round
        assert np.linalg.norm(face[-1] - face[0]) < 0.2 * size
        contour = face.astype(np.float32).reshape(-1, 1, 2)
        for part in ink.strokes:
            if part is not face:
                assert all(cv2.pointPolygonTest(contour, (float(x), float(y)), True) > 0.1 * size for x, y in part)
        apart += _pieces(_picture(ink)) >= 3
    # the small picture keeps the face, eyes and mouth apart, but a wobble can join an eye to the face
    assert apart >= 17


def test_a_heart_is_closed_with_two_lobes_on_top():
    for ink in _inks("heart"):
        assert len(ink.strokes) in (1, 2)
        pic = _picture(ink).astype(np.uint8)
        _, hierarchy = cv2.findContours(pic, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
        assert (hierarchy[0][:, 3] != -1).sum() == 1  # one hole
        # the notch: the top outline of the ink dips between the lobes' tops
        pts = ink.points()
        column = np.minimum(((pts[:, 0] - pts[:, 0].min()) / np.ptp(pts[:, 0]) * 20).astype(int), 19)
        top = np.array([pts[column == c, 1].min() for c in range(20)])
        dip = max(top[i] - max(top[:i].min(), top[i + 1:].min()) for i in range(1, 19))
        assert dip > 0.05 * _size(ink)


def test_an_arrow_has_a_shaft_and_two_barbs_folding_back_either_side_of_it():
    for ink in _inks("arrow"):
        size = _size(ink)
        corners = [_corners(s, size, 0.08) for s in ink.strokes]
        segments = [(a, b) for c in corners for a, b in zip(c[:-1], c[1:])]
        shaft = max(segments, key=lambda ab: np.linalg.norm(ab[1] - ab[0]))
        length = np.linalg.norm(shaft[1] - shaft[0])
        barbs = {}
        for tip, tail in (shaft, shaft[::-1]):
            ends = [b if np.linalg.norm(a - tip) < 0.06 * size else a for a, b in segments
                    if min(np.linalg.norm(a - tip), np.linalg.norm(b - tip)) < 0.06 * size]
            barbs[tuple(tip)] = [e for e in ends if np.linalg.norm(e - tail) > 0.1 * size]
        tip = max(barbs, key=lambda k: len(barbs[k]))
        back = (shaft[0] + shaft[1] - 2 * np.array(tip))  # from the tip towards the tail
        sides = []
        for end in barbs[tip]:
            v = end - tip
            assert 0.15 * length < np.linalg.norm(v) < 0.7 * length
            assert 10 < np.degrees(np.arccos(v @ back / np.linalg.norm(v) / np.linalg.norm(back))) < 70
            sides.append(np.sign(_cross2(back, v)))
        assert sorted(sides) == [-1, 1]


def test_a_check_mark_is_one_stroke_a_short_way_down_and_a_long_way_up():
    for ink in _inks("check"):
        assert len(ink.strokes) == 1
        c = _corners(ink.strokes[0], _size(ink), 0.06)
        u = np.diff(c, axis=0) / np.linalg.norm(np.diff(c, axis=0), axis=1, keepdims=True)
        bend = 1 + int(np.argmin((u[:-1] * u[1:]).sum(axis=1)))  # the sharpest corner
        first, second = c[bend] - c[0], c[-1] - c[bend]
        assert _turns(ink.strokes[0], _size(ink), 60) == 1
        assert np.linalg.norm(second) > 1.5 * np.linalg.norm(first)
        assert first[1] > 0 > second[1]  # y down: down, then up


def test_dots_are_many_tiny_strokes():
    for ink in _inks("dots"):
        assert len(ink.strokes) >= 8
        assert all(np.ptp(s, axis=0).max() < 0.05 * _size(ink) for s in ink.strokes)
        assert _pieces(_picture(ink)) >= 3


def test_scribble_pictures_take_the_kinds_in_turn_and_depend_only_on_the_seed():
    n = 250 + 2 * len(KINDS)  # two chunks
    images = scribble_pictures(n, seed=3, workers=1)
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert (images.reshape(n, -1).max(axis=1) > 200).all()  # every picture has ink
    assert np.array_equal(images, scribble_pictures(n, seed=3, workers=2))
    assert not np.array_equal(images[:len(KINDS)], scribble_pictures(len(KINDS), seed=4, workers=1))
    # picture i is of KINDS[i % len(KINDS)]: redraw the first round as the first chunk does
    rng = np.random.default_rng([3, 0])
    for i, kind in enumerate(KINDS):
        ink = scribble_ink(kind, rng)
        ratio = rng.uniform(*InkDistortion().stroke_ratio)
        picture = np.round(ink_to_mnist(ink, stroke_ratio=ratio).image * 255).astype(np.uint8)
        assert np.array_equal(images[i], picture)
    assert scribble_pictures(0).shape == (0, 28, 28)
