"""Photos and scans: uneven light, specks and form lines are paper, not ink."""
import cv2
import numpy as np
import pytest

from digitpad.core.paper import MIN_SIDE, even_light, without_strays
from digitpad.core.preprocess import INK_LEVEL, to_mnist


def _page(size=160, light=None, dark_on_light=True):
    """A 7 (its bar joined to its stem) on paper, 0..1 grey; ``light`` multiplies the paper."""
    ink = np.zeros((size, size), np.float32)
    s = size / 200
    cv2.line(ink, (int(50 * s), int(45 * s)), (int(150 * s), int(45 * s)), 1.0, max(2, int(12 * s)))
    cv2.line(ink, (int(150 * s), int(45 * s)), (int(85 * s), int(165 * s)), 1.0, max(2, int(12 * s)))
    if not dark_on_light:  # chalk on a board, with glare: ``light`` adds to the ground
        ground = 0.08 if light is None else 0.08 + 0.4 * (light - light.min()) / np.ptp(light)
        return np.maximum(ground, 0.9 * ink)
    paper = 0.92 * (np.ones_like(ink) if light is None else light)
    return paper * (1 - 0.85 * ink)


def _gradient(size=160, low=0.45):
    ramp = np.linspace(low, 1.0, size, dtype=np.float32)
    return ramp[None, :] * np.linspace(0.6, 1.0, size, dtype=np.float32)[:, None]


def _close(a, b, tolerance=0.06):
    return float(np.abs(a - b).mean()) < tolerance


def test_even_paper_and_small_pictures_are_left_exactly_as_they_are():
    even = _page()
    assert even_light(even) is even
    small = _page(size=MIN_SIDE - 1, light=_gradient(MIN_SIDE - 1))
    assert even_light(small) is small
    ink = np.zeros((40, 40), np.float32)
    ink[5:30, 18:21] = 1
    ink[38, 1] = 1  # a "speck", but at bitmap size it could be the digit's own
    assert without_strays(ink, INK_LEVEL) is ink


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_uneven_light_reads_as_the_same_digit_as_even_light(dark_on_light):
    even = to_mnist(_page(dark_on_light=dark_on_light)).image
    lit = _page(light=_gradient(), dark_on_light=dark_on_light)
    flattened = even_light(lit)
    assert flattened is not lit
    paper = flattened[_page(dark_on_light=dark_on_light) == _page(dark_on_light=dark_on_light).max()] \
        if dark_on_light else None
    if paper is not None:
        assert paper.min() > 0.8  # the dark corner is paper again
    assert _close(to_mnist(lit).image, even)


def test_uneven_light_without_the_correction_would_lose_the_digit():
    """The reason for even_light: one background level calls the dark corner ink."""
    from digitpad.core import preprocess

    lit = _page(light=_gradient())
    even = to_mnist(_page()).image
    saved = preprocess.even_light
    try:
        preprocess.even_light = lambda g, dark_ink=None: g
        uncorrected = to_mnist(lit).image
    finally:
        preprocess.even_light = saved
    assert not _close(uncorrected, even)


def _ink_of(page):
    return 1 - page / page.max()


def test_specks_outside_the_digit_go_and_a_dot_inside_it_stays():
    ink = _ink_of(_page())
    clean = ink.copy()
    for x, y in [(5, 150), (150, 152), (10, 10)]:
        cv2.circle(ink, (x, y), 2, 1.0, -1)
    cv2.circle(ink, (95, 90), 2, 1.0, -1)  # inside the 7's box: part of the digit as far as a crop goes
    out = without_strays(ink, INK_LEVEL)
    assert out[150, 5] == 0 and out[152, 150] == 0 and out[10, 10] == 0
    assert out[90, 95] == ink[90, 95] > 0.5
    near_dot = np.abs(np.indices(ink.shape) - np.array([90, 95])[:, None, None]).max(0) <= 2
    assert np.array_equal(out > INK_LEVEL, (clean > INK_LEVEL) | (near_dot & (ink > INK_LEVEL)))  # all else kept


def test_a_sprinkle_of_dots_alone_is_blank_but_a_dotted_digit_and_a_digit_in_dust_are_read():
    rng = np.random.default_rng(0)
    pepper = np.full((280, 280), 255, np.uint8)
    pepper[rng.random(pepper.shape) < 0.01] = 0  # 1% of the pixels: sensor noise, ~780 dots
    assert to_mnist(pepper).empty
    dusty = (_page(280) * 255).astype(np.uint8)
    dusty[(rng.random(dusty.shape) < 0.002) & (dusty > 128)] = 0
    assert _close(to_mnist(dusty).image, to_mnist((_page(280) * 255).astype(np.uint8)).image, 0.03)
    dotted = np.full((240, 240), 255, np.uint8)  # a 1 of 25 dots, each 4x4 px, as a dot-matrix prints it
    for k in range(25):
        dotted[15 + 8 * k:19 + 8 * k, 118:122] = 0
    read = to_mnist(dotted)
    assert not read.empty and read.image[4:24, 11:17].sum() > 0.9 * read.image.sum()  # a bar down the middle
    traced = np.full((200, 200), 255, np.uint8)  # a tracing sheet's dotted 0: 40 dots of radius 2
    for a in np.linspace(0, 2 * np.pi, 40, endpoint=False):
        cv2.circle(traced, (int(100 + 50 * np.cos(a)), int(100 + 75 * np.sin(a))), 2, 0, -1)
    assert not to_mnist(traced).empty


@pytest.mark.parametrize("edge", ["top", "bottom", "left", "right"])
def test_a_form_line_along_an_edge_goes(edge):
    ink = _ink_of(_page())
    line = np.zeros_like(ink)
    if edge == "top":
        line[4:7, :] = 1
    elif edge == "bottom":
        line[-7:-4, :] = 1
    elif edge == "left":
        line[:, 4:7] = 1
    else:
        line[:, -7:-4] = 1
    out = without_strays(np.maximum(ink, line), INK_LEVEL)
    assert np.array_equal(out, ink)
    assert _close(to_mnist(1 - np.maximum(ink, line)).image, to_mnist(1 - ink).image, 0.01)


def test_the_digits_own_bars_stay():
    """A tight crop: a 5 whose bar floats above its body, and a 7 whose bar is joined to its stem."""
    five = np.zeros((100, 100), np.float32)
    cv2.line(five, (10, 4), (96, 4), 1.0, 5)  # the bar: across the top, in the outer fifth
    cv2.line(five, (10, 14), (10, 50), 1.0, 5)
    cv2.ellipse(five, (50, 72), (42, 24), 0, -120, 150, 1.0, 5)
    assert without_strays(five, INK_LEVEL) is five
    seven = _ink_of(_page(size=100))
    assert without_strays(seven, INK_LEVEL) is seven


def test_a_frame_on_two_edges_and_specks_together():
    ink = _ink_of(_page())
    noisy = ink.copy()
    noisy[3:5, :] = 1
    noisy[:, 3:5] = 1
    cv2.circle(noisy, (150, 150), 2, 1.0, -1)
    assert np.array_equal(without_strays(noisy, INK_LEVEL), ink)


# -- what a second reader found: shapes and crops the first rules got wrong ---------------------
def _ramp_strip(h, w):
    ink = np.zeros((h, w), np.float32)
    cv2.line(ink, (w // 2 - h // 3, h // 5), (w // 2 + h // 3, h // 5), 1.0, max(2, h // 12))
    cv2.line(ink, (w // 2 + h // 3, h // 5), (w // 2, h - h // 6), 1.0, max(2, h // 12))
    light = np.linspace(0.5, 1.0, w, dtype=np.float32)[None, :].repeat(h, 0)
    return 0.92 * light * (1 - 0.85 * ink)


@pytest.mark.parametrize("shape", [(48, 800), (60, 1200), (1000, 48)])
def test_long_thin_pictures_with_uneven_light_do_not_fail(shape):
    strip = _ramp_strip(*shape) if shape[0] < shape[1] else _ramp_strip(*shape[::-1]).T.copy()
    out = even_light(strip)
    assert out.shape == strip.shape and np.isfinite(out).all()
    assert not to_mnist(strip).empty


def _tight(ink):
    """Cropped to its ink, as digit collections store them, and drawn dark on light paper."""
    ys, xs = np.nonzero(ink > 0.5)
    return ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def test_tight_crops_keep_their_own_rings_bars_and_dots():
    dotted = np.zeros((110, 110), np.float32)
    cv2.ellipse(dotted, (55, 55), (50, 50), 0, 0, 360, 1.0, 5)
    cv2.circle(dotted, (55, 55), 3, 1.0, -1)
    zero_with_dust = np.zeros((170, 130), np.float32)
    cv2.ellipse(zero_with_dust, (65, 85), (60, 80), 0, 0, 360, 1.0, 8)
    cv2.circle(zero_with_dust, (50, 60), 1, 1.0, -1)
    lifted_seven = np.zeros((100, 100), np.float32)
    cv2.line(lifted_seven, (3, 4), (97, 4), 1.0, 6)
    cv2.line(lifted_seven, (80, 14), (40, 96), 1.0, 6)
    five = np.zeros((100, 100), np.float32)
    cv2.line(five, (4, 4), (96, 4), 1.0, 5)  # the bar starts left of the stem
    cv2.line(five, (12, 14), (12, 50), 1.0, 5)
    cv2.ellipse(five, (50, 72), (42, 24), 0, -120, 150, 1.0, 5)
    for name, ink in (("dotted zero", dotted), ("zero with dust", zero_with_dust),
                      ("seven with a lifted bar", lifted_seven), ("five", five)):
        ink = _tight(ink)
        assert without_strays(ink, INK_LEVEL) is ink, name
        page = 0.9 * (1 - 0.85 * ink)
        assert even_light(page) is page, name


def test_a_thick_marker_digit_cropped_tight_on_even_paper_is_left_alone():
    ink = np.zeros((160, 160), np.float32)
    cv2.line(ink, (10, 15), (150, 15), 1.0, 30)
    cv2.line(ink, (150, 15), (60, 150), 1.0, 30)
    page = 0.9 * (1 - 0.85 * _tight(ink))
    assert even_light(page) is page


def test_dim_paper_is_still_paper():
    """An under-exposed photo: the paper is dark grey, the ink darker still."""
    from digitpad.core.paper import ground

    bright = _page(light=_gradient())
    for scale in (0.7, 0.45, 0.3):
        dim = bright * scale
        assert ground(dim)[1], scale  # dark ink
        assert _close(to_mnist(dim).image, to_mnist(_page()).image), scale


# -- a small digit on a whole page, and ruled or squared paper -------------------------------
def _on_a_page(side, digit_side, grain, seed=0):
    """``_page``'s 7 at ``digit_side`` px, somewhere on a ``side`` px sheet with grain."""
    rng = np.random.default_rng(seed)
    page = np.full((side, side), 0.9, np.float32) + rng.normal(0, grain, (side, side)).astype(np.float32)
    digit = _page(size=digit_side) / 0.92
    top, left = side // 3, side // 2
    page[top:top + digit_side, left:left + digit_side] *= digit
    return np.clip(page, 0, 1)


@pytest.mark.parametrize("side, digit_side, grain", [(600, 84, 0.0), (1500, 60, 0.015), (2400, 120, 0.025)])
def test_a_small_digit_on_a_whole_page_is_read_as_the_digit(side, digit_side, grain):
    """Under 1% (here down to 0.03%) of the picture is ink: neither the polarity nor the ink's
    scale may be read from the paper's grain."""
    from digitpad.core.paper import ground

    page = _on_a_page(side, digit_side, grain)
    assert ground(page)[1]  # dark ink on light paper
    read = to_mnist(page).image
    assert read is not None
    assert _close(read, to_mnist(_page(size=digit_side)).image, 0.03)


def _ruled(ink, spacing=12, darkness=0.25, width=1, squared=False, turn=0.0):
    """``ink`` (light on dark) written dark on ruled (or squared) paper, the sheet turned ``turn`` degrees."""
    h, w = ink.shape
    paper = np.full((h, w), 0.92, np.float32)
    for at in range(5, max(h, w), spacing):
        paper[at:at + width, :] *= 1 - darkness
        if squared:
            paper[:, at:at + width] *= 1 - darkness
    page = paper * (1 - 0.85 * ink)
    if turn:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), turn, 1.0)
        page = cv2.warpAffine(page, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return page


@pytest.mark.parametrize("paper", [dict(), dict(squared=True), dict(squared=True, turn=1.5),
                                   dict(darkness=0.8, width=2), dict(darkness=0.8, squared=True)])
def test_ruled_and_squared_paper_is_paper(paper):
    ink = _ink_of(_page())
    after, before = _off_by_with_and_without_cleanup(_ruled(ink, **paper), 1 - 0.85 * ink)
    assert after < 0.045 and after < before / 4, (after, before)


def _off_by_with_and_without_cleanup(page, clean_page):
    """How far ``page`` reads from ``clean_page`` (mean over the 28x28 input), with the clean-up
    and without it (what the lines would do)."""
    from digitpad.core import preprocess

    clean = to_mnist(clean_page).image
    after = float(np.abs(to_mnist(page).image - clean).mean())
    saved = preprocess.without_strays
    try:
        preprocess.without_strays = lambda i, level: i
        before = float(np.abs(to_mnist(page).image - clean).mean())
    finally:
        preprocess.without_strays = saved
    return after, before


def test_a_stroke_crossing_a_line_as_dark_as_the_pen_is_mended():
    from digitpad.core.paper import without_ruling

    ink = np.zeros((120, 120), np.float32)
    cv2.line(ink, (60, 20), (60, 100), 1.0, 4)  # a 1, crossing three lines
    lined = ink.copy()
    for at in (30, 50, 70, 90):
        lined[at:at + 2, :] = 1.0
    out = without_ruling(lined, INK_LEVEL)
    assert np.array_equal(out > INK_LEVEL, ink > INK_LEVEL)  # the lines gone, the stroke whole


def test_a_digits_bars_and_broad_strokes_are_not_ruling():
    """Tight crops: a 2 with a flat base and a 7's bar are one or two lines; a marker's bar is thick."""
    from digitpad.core.paper import without_ruling

    two = np.zeros((100, 100), np.float32)
    cv2.ellipse(two, (50, 30), (44, 26), 0, 180, 360, 1.0, 3)
    cv2.line(two, (94, 30), (4, 96), 1.0, 3)
    cv2.line(two, (4, 96), (96, 96), 1.0, 3)
    seven = np.zeros((100, 100), np.float32)
    cv2.line(seven, (2, 4), (98, 4), 1.0, 3)
    cv2.line(seven, (98, 4), (40, 98), 1.0, 3)
    marker = np.zeros((84, 84), np.float32)
    cv2.line(marker, (4, 40), (80, 40), 1.0, 22)  # a bar whose rows each look like a long line
    cv2.line(marker, (60, 4), (60, 80), 1.0, 22)
    for name, ink in (("two", two), ("seven", seven), ("marker", marker)):
        assert without_ruling(ink, INK_LEVEL) is ink, name


@pytest.mark.parametrize("inset, thickness", [(0, 10), (3, 3)])
def test_a_box_drawn_round_the_digit_is_not_taken_for_the_paper(inset, thickness):
    """A form's cell: its frame in the border band (at the edge, or drawn a little inside it)
    was the band's majority, so the frame was read as the paper and the paper as ink."""
    from digitpad.core.paper import border_level

    ink = _ink_of(_page())
    page = 0.92 * (1 - 0.85 * ink)
    boxed = page.copy()
    cv2.rectangle(boxed, (inset, inset), (159 - inset, 159 - inset), 0.15, thickness)
    assert abs(border_level(boxed) - 0.92) < 0.01
    assert _close(to_mnist(boxed).image, to_mnist(page).image, 0.01)


def test_a_bold_digit_cropped_tight_keeps_its_paper():
    """Its strokes fill the rings under the edge, unevenly; the outer rings are still paper."""
    from digitpad.core.paper import border_level, ground

    three = np.zeros((140, 120), np.float32)
    cv2.ellipse(three, (60, 38), (48, 30), 0, -160, 90, 1.0, 22)
    cv2.ellipse(three, (60, 100), (50, 32), 0, -90, 160, 1.0, 22)
    ink = _tight(three)
    page = 0.88 * (1 - 0.85 * ink) + np.random.default_rng(1).normal(0, 0.015, ink.shape).astype(np.float32)
    assert ink.mean() > 0.4  # nearly half the picture is ink
    assert abs(border_level(page) - 0.88) < 0.05
    assert ground(page)[1]


# -- what the review of the ruling, page and rescale rules found ------------------------------
def test_a_faint_small_picture_with_a_hot_pixel_keeps_its_polarity():
    """Below MIN_SIDE the 1% tails decide, as before: one bright pixel must not flip a faint 1."""
    from digitpad.core.paper import ground

    g = np.full((28, 28), 0.6, np.float32)
    g[6:22, 12:15] = 0.45
    g[2, 2] = 0.9
    assert ground(g) == (pytest.approx(0.6), True)


def test_a_blank_scan_with_a_speck_of_dust_is_blank():
    page = np.clip(0.9 + np.random.default_rng(2).normal(0, 0.01, (300, 300)), 0, 1).astype(np.float32)
    page[150:152, 150] = 0.3
    assert to_mnist(page).empty


def test_a_dark_frame_gone_does_not_turn_the_grain_into_ink():
    """The pencil digit is scaled up once the darker frame is gone; the paper's grain is not."""
    for grain in (0.01, 0.02):
        page = np.clip(0.85 + np.random.default_rng(1).normal(0, grain, (200, 200)), 0, 1).astype(np.float32)
        page[60:140, 95:99] = 0.62  # a pencil 1
        boxed = page.copy()
        boxed[8:11, 8:192] = boxed[189:192, 8:192] = boxed[8:192, 8:11] = boxed[8:192, 189:192] = 0.1
        read = to_mnist(boxed, keep_stages=True)
        assert read.stages["cropped"].shape[0] < 100  # the 1's 80 rows, not the sheet's 200
        assert _close(read.image, to_mnist(page).image, 0.035)


def test_a_sevens_bar_between_pen_dark_lines_and_a_seven_segment_three_stay():
    from digitpad.core.paper import without_ruling

    seven = np.zeros((160, 160), np.float32)
    cv2.line(seven, (40, 40), (120, 40), 1.0, 6)  # between the lines at 33 and 47
    cv2.line(seven, (120, 40), (70, 140), 1.0, 6)
    page = _ruled(seven, spacing=14, darkness=0.8, width=2)
    assert _close(to_mnist(page).image, to_mnist(1 - 0.85 * seven).image, 0.045)
    three = np.zeros((400, 250), np.float32)
    for y in (8, 200, 392):
        cv2.line(three, (4, y), (246, y), 1.0, 6)
    cv2.line(three, (246, 8), (246, 392), 1.0, 6)
    assert without_ruling(three, INK_LEVEL) is three


def test_a_stroke_crossing_thick_pen_dark_lines_is_mended_whole():
    from digitpad.core.paper import without_ruling

    ink = np.zeros((200, 200), np.float32)
    cv2.line(ink, (100, 20), (100, 180), 1.0, 6)
    lined = ink.copy()
    for at in range(10, 200, 20):
        lined[at:at + 3, :] = 1.0
    out = without_ruling(lined, INK_LEVEL)
    assert np.array_equal(out > INK_LEVEL, ink > INK_LEVEL)


def test_a_grid_line_under_a_stroke_does_not_stretch_the_crop():
    ink = np.zeros((300, 300), np.float32)
    cv2.line(ink, (152, 75), (152, 225), 1.0, 8)  # a 1 drawn along one of the grid's lines
    page = _ruled(ink, spacing=16, darkness=0.4, squared=True)
    page[:, 150:154] = np.minimum(page[:, 150:154], 0.92 * 0.6)  # that line, under the stroke
    assert _close(to_mnist(page).image, to_mnist(1 - 0.85 * ink).image, 0.045)


@pytest.mark.parametrize("darkness", [0.3, 0.8])
def test_a_digit_written_between_two_ruled_lines_loses_the_lines(darkness):
    """The usual crop of a digit on ruled paper holds only two or three lines: fewer than a
    digit's bars could be, but they run on past the digit, which keeps its margin."""
    ink = _ink_of(_page())
    page = 0.92 * (1 - 0.85 * ink)
    for at in (30, 80, 130):
        page[at:at + 2, :] *= 1 - darkness
    after, before = _off_by_with_and_without_cleanup(page, 0.92 * (1 - 0.85 * ink))
    assert after < 0.035 and after < before / 2.5, (after, before)


def test_a_bar_that_ends_with_the_digit_is_not_a_ruled_line():
    """A 7 cropped tight across its bar: the bar reaches both edges, but so does the rest."""
    from digitpad.core.paper import without_ruling

    seven = np.zeros((150, 100), np.float32)
    cv2.line(seven, (2, 20), (97, 20), 1.0, 4)
    cv2.line(seven, (97, 20), (40, 140), 1.0, 4)
    assert without_ruling(seven, INK_LEVEL) is seven


# -- slightly turned ruling on grainy paper ---------------------------------------------------
def _sheet(ink, lines=(), width=1, darkness=0.0, squared=False, turn=2.0, seed=0):
    """``ink`` (light on dark, 120 px) in a grey pen on a 160 px sheet with lines at ``lines`` (and
    columns, if ``squared``), turned ``turn`` degrees; the middle 120 px with the paper's grain,
    which at this contrast puts a few specks in every column. (Not :func:`_ruled`: that one is
    clean, and turns in place, so its lines meet the picture's edges as a bigger sheet's would not.)"""
    page = np.full((160, 160), 0.8, np.float32)
    for at in lines:
        page[at:at + width, :] *= 1 - darkness
        if squared:
            page[:, at:at + width] *= 1 - darkness
    page[20:140, 20:140] *= 1 - 0.7 * ink
    m = cv2.getRotationMatrix2D((80, 80), turn, 1.0)
    page = cv2.warpAffine(page, m, (160, 160), flags=cv2.INTER_LINEAR)[20:140, 20:140]
    return page + np.random.default_rng(seed).normal(0, 0.02, page.shape).astype(np.float32)


@pytest.mark.parametrize("paper", [
    dict(lines=(30, 75, 120, 165), turn=2.0),  # between the lines
    dict(lines=(30, 74, 118, 139), turn=2.0),  # the last one leaving through the picture's bottom
    dict(lines=(40, 80, 120), width=2, turn=-2.0),
    dict(lines=range(22, 160, 16), width=2, darkness=0.5, squared=True, turn=-2.0),  # a dark grid
])
def test_slightly_turned_ruling_on_grainy_paper_goes(paper):
    ink = np.zeros((120, 120), np.float32)
    cv2.ellipse(ink, (60, 60), (22, 36), 0, 0, 360, 1.0, 6)  # a 0 with a margin round it
    paper = {"darkness": 0.3, **paper}
    for seed in range(3):
        read = to_mnist(_sheet(ink, seed=seed, **paper), keep_stages=True)
        clean = to_mnist(_sheet(ink, seed=seed, turn=paper["turn"]), keep_stages=True)
        assert np.allclose(read.stages["cropped"].shape, clean.stages["cropped"].shape, atol=5), seed
        assert float(np.abs(read.image - clean.image).mean()) < 0.06, seed


def test_a_digits_bars_on_grainy_paper_are_not_ruling():
    """A seven-segment 3 with a margin round it: grain on both sides of a bar must not make the
    bar run from edge to edge (the line itself has to)."""
    from digitpad.core.paper import without_ruling

    three = np.zeros((120, 120), np.float32)
    for y in (20, 60, 100):
        cv2.line(three, (20, y), (98, y), 1.0, 2)
    cv2.line(three, (98, 20), (98, 100), 1.0, 2)
    grain = np.random.default_rng(0).random(three.shape) < 0.02
    three[grain & (three == 0)] = 0.1  # faint specks: the paper, not ink, but in the mask lines are found on
    assert without_ruling(three, INK_LEVEL) is three


def test_a_grid_line_along_a_stroke_goes_beyond_it_on_dense_squared_paper():
    """Where a dense grid's lines cross one that runs along a stroke, there is ink on both sides
    of it too; those crossings are short and must not make the line a broad stroke that stays."""
    ink = np.zeros((120, 120), np.float32)
    cv2.line(ink, (74, 25), (74, 75), 1.0, 12)  # a marker's 1 along the grid's line at x=74
    page = _sheet(ink, lines=range(24, 160, 10), width=2, darkness=0.5, squared=True, turn=0.0)
    read = to_mnist(page, keep_stages=True)
    clean = to_mnist(_sheet(ink, turn=0.0), keep_stages=True)
    assert np.allclose(read.stages["cropped"].shape, clean.stages["cropped"].shape, atol=5)


def test_a_line_with_only_dust_beside_it_is_read():
    """One rule and a speck of dust: no stroke but the line (this raised ValueError once)."""
    page = np.full((100, 100), 255, np.uint8)
    page[50, :] = 0
    page[20:22, 20:22] = 0
    one = np.full((120, 60), 230, np.uint8)
    one[:, 30] = 50  # a fine pen's 1, cut at the top and bottom
    one[10, 10] = 80
    assert to_mnist(page).image is not None and to_mnist(one).image is not None


def _seven_cut_at_the_top():
    ink = np.zeros((140, 100), np.float32)
    cv2.line(ink, (3, 1), (72, 1), 1.0, 4)
    cv2.line(ink, (72, 1), (35, 137), 1.0, 4)
    return ink


def _two_with_its_foot_on_the_bottom():
    ink = np.zeros((140, 100), np.float32)
    cv2.ellipse(ink, (50, 38), (35, 35), 0, 180, 380, 1.0, 4)
    cv2.line(ink, (82, 50), (17, 137), 1.0, 4)
    cv2.line(ink, (17, 137), (97, 137), 1.0, 4)
    return ink


def _open_four_cut_tight():
    ink = np.zeros((120, 70), np.float32)
    cv2.line(ink, (2, 1), (2, 62), 1.0, 2)
    cv2.line(ink, (2, 62), (69, 60), 1.0, 2)
    cv2.line(ink, (67, 1), (67, 118), 1.0, 2)
    return ink


@pytest.mark.parametrize("digit", [_seven_cut_at_the_top, _two_with_its_foot_on_the_bottom, _open_four_cut_tight])
def test_a_bar_along_an_edge_of_a_tight_crop_is_not_a_turned_line(digit):
    """A line leaving through the top or bottom counts only beside ruled lines turned its way;
    a digit's bar or upright along the edge reaches one side too (found in review)."""
    from digitpad.core.paper import without_ruling

    ink = digit()
    assert without_ruling(ink, INK_LEVEL) is ink


def _squared_cell(grid=True, blur=0.8, darkness=0.75, seed=0):
    """A 0 on dense squared paper (lines every 11 px), scanned soft: the crossings of the lines
    spread over a quarter of every ring under the edge, except the ring that runs along a line."""
    ink = np.zeros((120, 120), np.float32)
    cv2.ellipse(ink, (60, 60), (20, 34), 0, 0, 360, 1.0, 6)
    paper = np.full((120, 120), 0.9, np.float32)
    if grid:
        for at in range(10, 120, 11):  # rows and columns 10 and 109: a line 10 px in from every edge
            paper[at:at + 2, :] *= 1 - darkness
            paper[:, at:at + 2] *= 1 - darkness
    page = cv2.GaussianBlur(paper * (1 - 0.75 * ink), (0, 0), blur)
    return page + np.random.default_rng(seed).normal(0, 0.02, page.shape).astype(np.float32)


@pytest.mark.parametrize("blur, darkness", [(0.8, 0.75), (1.0, 0.65)])
def test_dense_squared_paper_whose_only_even_rings_are_its_lines_is_still_paper(blur, darkness):
    """The one even ring lay on a grid line, so the line was read as the paper, the paper as
    light ink, and the whole sheet came out as one block of ink."""
    from digitpad.core.paper import ground

    for seed in range(2):
        page = _squared_cell(blur=blur, darkness=darkness, seed=seed)
        level, dark_ink = ground(page)
        assert dark_ink and level > float(np.median(page)) - 0.1, seed
        clean = _squared_cell(grid=False, blur=blur, seed=seed)
        assert float(np.abs(to_mnist(page).image - to_mnist(clean).image).mean()) < 0.05, seed
