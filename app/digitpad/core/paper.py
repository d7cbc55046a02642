"""What in a photo or scan of a digit is paper, not ink: uneven light, specks and form lines.

A phone photo is lit unevenly, so one background level for the whole picture calls its dark
corner ink and the crop swallows it. A scan brings dust and the line of the form's box, which
stretch the crop so the digit shrinks to a few pixels. Both are taken out here, before the MNIST
recipe. Pictures smaller than :data:`MIN_SIDE` (MNIST, bitmaps) are the digit and nothing else,
and are left exactly as they are, as are larger ones whose paper is evenly lit and holds nothing
but the digit.
"""
from __future__ import annotations

import cv2
import numpy as np

#: Pictures with a shorter side below this are left alone: at bitmap sizes a digit's own
#: strokes look like specks and lines.
MIN_SIDE = 48
#: Paper whose dimmest part is less than this much darker than its brightest (a share: 0.2 is
#: 20%) counts as evenly lit; for light ink on a dark ground, the ground's range in 0..1 grey.
#: Up to about this much, one background level still reads the digit right.
UNEVEN = 0.2
#: Ink stands at least this far (0..1 grey) from the paper: further than a scan's grain reaches.
CLEAR_INK = 0.2
_ESTIMATE_SIDE = 32  # the paper's light is smooth: estimated on a copy at most this big a side
_RULING_SIDE = 600  # ruled lines are looked for on a copy at most this big a side
_EVEN_RING = 0.15  # a ring of paper (or of a frame) spreads less than this between its quartiles
_RULED_LINES = 4  # fewer parallel lines than this could be a digit's bars (a seven-segment 3 has 3)
_TURNED = 0.004  # rows per column: a sheet turned less than about a quarter of a degree is straight
_MARGIN = 0.1  # ...unless the rest of the ink keeps this share of the width clear on each side
#: This many pieces of ink, none of ``_PEPPER_AREA`` pixels and most of them single pixels or
#: nearly (``_PEPPER_DOT``), spread over the sheet, are sensor noise: a pencil digit broken into
#: pieces has a few and one is a stroke's length; a dotted or dot-matrix digit's dots are larger.
_PEPPER_PIECES, _PEPPER_AREA, _PEPPER_DOT = 20, 30, 4
#: A piece of ink under this share of the largest piece's size is a speck, not one of the digit's strokes.
_STRAY_SHARE = 0.05


def border_level(gray: np.ndarray) -> float:
    """The picture's background: the median of its border.

    From :data:`MIN_SIDE` up the border is read ring by ring, each ring the frame of pixels at
    one depth from the edge, down to a tenth of the shorter side. A ring of one even level is
    paper or the line of a form's box (drawn round the digit, or left at the edge of a cell cut
    from a form); a ring that crosses a tight crop's strokes is uneven. Of the even rings' levels
    the one most of the picture has is the paper; when none is near it, they lie on lines.
    """
    h, w = gray.shape
    band = max(1, min(h, w) // 20)
    pooled = np.concatenate([gray[:band].ravel(), gray[-band:].ravel(), gray[:, :band].ravel(),
                             gray[:, -band:].ravel()])
    if min(h, w) < MIN_SIDE:
        return _median(pooled)
    even = []
    for d in np.unique(np.linspace(0, 2 * band - 1, min(2 * band, 16)).astype(int)):
        ring = np.concatenate([gray[d, d:w - d], gray[h - 1 - d, d:w - d], gray[d:h - d, d], gray[d:h - d, w - 1 - d]])
        low, mid, high = np.percentile(ring, (25, 50, 75))
        if high - low < _EVEN_RING:
            even.append(float(mid))
    if not even:  # uneven light, or strokes in every ring: the outer band as a whole
        return _median(pooled)
    most = _median(_subsample(gray).ravel())
    if min(abs(level - most) for level in even) >= UNEVEN:
        # Every even ring lies on a line: on dense squared paper the rings between its lines are
        # crossed by one every few pixels, and only those along a line are even. The paper is
        # what most of the picture is (it holds more than the ink and the lines do).
        return most
    if max(even) - min(even) < UNEVEN:
        return _median(np.array(even))
    return min(even, key=lambda level: abs(level - most))


def _median(values: np.ndarray) -> float:
    k = values.size // 2
    return float(np.partition(values, k)[k])


def _subsample(gray: np.ndarray) -> np.ndarray:
    """Every n-th pixel of each n-th row: a quarter of a million pixels say a level as well as all."""
    step = max(1, int(np.sqrt(gray.size / 250_000)))
    return gray[::step, ::step]


def ground(gray: np.ndarray) -> tuple[float, bool]:
    """The picture's background level (:func:`border_level`) and whether the ink is darker than it.

    The ink is the minority that lies far from the background: darker ink on dim paper is still
    dark ink, where a fixed 0.5 threshold would call the paper ink.
    """
    level = border_level(gray)
    sample = _subsample(gray)

    def tails(share: float) -> tuple[float, float]:
        """How far below and above ``level`` the darkest and lightest ``share`` % reach."""
        low, high = np.percentile(sample, (share, 100 - share))
        return level - float(low), float(high) - level

    darker, lighter = tails(1.0)
    if max(darker, lighter) < CLEAR_INK and min(gray.shape) >= MIN_SIDE:
        # A small digit on a whole page is well under 1% of it: the tails are read further out
        # until one of them stands clear of the paper's grain; if none does, the 1% tails decide.
        for share in (0.1, 0.01):
            further = tails(share)
            if max(further) >= CLEAR_INK:
                darker, lighter = further
                break
    return level, bool(darker > lighter)


def even_light(gray: np.ndarray, dark_ink: bool | None = None) -> np.ndarray:
    """``gray`` (0..1) with the paper's uneven light divided out, or ``gray`` itself if even;
    ``dark_ink`` as :func:`ground` says (asked of it when not given).

    The paper's brightness is a smooth surface (a quadratic in x and y), fitted first to the
    pixels that look like paper (near the picture's closing, on the paper's side of Otsu's
    threshold), then again to those not far on the ink's side of the fit. Each pixel is divided
    by it, which is how light works on paper (reflectance times light); light ink on a dark
    ground has the ground subtracted instead.
    """
    h, w = gray.shape
    if min(h, w) < MIN_SIDE:
        return gray
    if dark_ink is None:
        dark_ink = ground(gray)[1]
    if _even(_edge_levels(gray), dark_ink):
        return gray
    # the surface's terms are in [-1, 1] across the picture, so the copy need not keep its shape
    small = cv2.resize(gray, (min(w, _ESTIMATE_SIDE), min(h, _ESTIMATE_SIDE)), interpolation=cv2.INTER_AREA)
    coefficients, paper = _paper_fit(small, dark_ink)
    fitted = _quadratic(coefficients, *small.shape)[paper]  # where paper was seen, not extrapolated
    if not fitted.size or _even(fitted, dark_ink):
        return gray
    surface = _quadratic(coefficients, h, w)
    if dark_ink:
        return np.clip(gray / np.maximum(surface, 1e-3), 0.0, 1.0).astype(np.float32)
    return np.clip(gray - surface, 0.0, 1.0).astype(np.float32)


def _even(levels: np.ndarray, dark_ink: bool) -> bool:
    top, bottom = float(np.max(levels)), float(np.min(levels))
    if dark_ink:
        return top <= 0 or 1 - bottom / top < UNEVEN
    return top - bottom < UNEVEN


def _edge_levels(gray: np.ndarray) -> np.ndarray:
    """Medians of the middle of each edge and of each corner: alike on evenly lit paper."""
    h, w = gray.shape
    b, ch, cw = max(1, min(h, w) // 20), h // 4, w // 4
    parts = [gray[:b, cw:-cw], gray[-b:, cw:-cw], gray[ch:-ch, :b], gray[ch:-ch, -b:],
             gray[:b, :cw], gray[:b, -cw:], gray[-b:, :cw], gray[-b:, -cw:]]
    return np.array([float(np.median(p)) for p in parts])


def _quadratic(coefficients: np.ndarray, h: int, w: int) -> np.ndarray:
    c0, cx, cy, cxx, cxy, cyy = (float(c) for c in coefficients)
    y = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    return (c0 + cy * y + cyy * y * y) + x * (cx + cxy * y) + cxx * x * x  # a row and a column at a time


def _paper_fit(small: np.ndarray, dark_ink: bool) -> tuple[np.ndarray, np.ndarray]:
    """The surface's coefficients and the mask of the pixels taken for paper."""
    h, w = small.shape
    y, x = np.mgrid[-1:1:h * 1j, -1:1:w * 1j]
    a = np.stack([np.ones(h * w), x.ravel(), y.ravel(), (x * x).ravel(), (x * y).ravel(), (y * y).ravel()], 1)
    v = small.ravel().astype(np.float64)
    k = max(3, max(h, w) // 4) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    envelope = cv2.morphologyEx(small, cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN, kernel).ravel()
    # a first guess: near the closing (strokes do not survive it, except along the picture's edge)
    # and on the paper's side of Otsu's threshold (which a stroke along the edge is not on)
    otsu = cv2.threshold(np.clip(small * 255, 0, 255).astype(np.uint8), 0, 255,
                         cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0] / 255
    paper = (v >= envelope - 0.08) & (v > otsu) if dark_ink else (v <= envelope + 0.08) & (v < otsu)
    coefficients = np.array([float(np.median(v)), 0, 0, 0, 0, 0])  # even, if nothing is paper
    for _ in range(3):
        if paper.sum() < 12:
            break
        coefficients = np.linalg.lstsq(a[paper], v[paper], rcond=None)[0]
        r = v - a @ coefficients
        spread = 1.4826 * float(np.median(np.abs(r[paper]))) + 0.02  # the paper's own grain
        paper = r > -2.5 * spread if dark_ink else r < 2.5 * spread
    return coefficients, paper.reshape(h, w)


def without_strays(ink: np.ndarray, level: float) -> np.ndarray:
    """``ink`` (light on dark, 0..1; ink above ``level``) without specks outside the digit and
    without the lines of a form's box along the picture's edges; ``ink`` itself when there are none.

    A speck is a piece of ink under 5% of the largest piece's size lying outside the digit's box
    (inside it, a dot is part of the digit and changes no crop). A form line is a piece made of
    rows (or columns) near the picture's edge that run across at least 80% of it, and it goes
    only when the rest of the ink keeps clear of every edge: in a picture cropped tight round its
    digit, a bar across the top is the digit's own.
    """
    h, w = ink.shape
    if min(h, w) < MIN_SIDE:
        return ink
    ink = without_ruling(ink, level)
    n, labels, stats, _ = cv2.connectedComponentsWithStats((ink > level).astype(np.uint8), connectivity=8)
    if n <= 2:
        return ink
    x, y, bw, bh, areas = (stats[1:, i] for i in range(5))
    if (n - 1 >= _PEPPER_PIECES and areas.max() < _PEPPER_AREA and np.median(areas) <= _PEPPER_DOT
            and np.ptp(x) >= w / 2 and np.ptp(y) >= h / 2):
        return np.zeros_like(ink)  # pixels sprinkled over the sheet, no stroke among them: noise
    lines = np.zeros(n - 1, bool)
    for i in np.flatnonzero((bw >= 0.8 * w) | (bh >= 0.8 * h)):
        lines[i] = _made_of_edge_lines(labels == i + 1, w, h)
    if lines.all():
        return ink
    big = ~lines & (areas >= _STRAY_SHARE * areas[~lines].max())
    x0, y0, x1, y1 = x[big].min(), y[big].min(), (x + bw)[big].max(), (y + bh)[big].max()
    margin = 0.04 * min(h, w)
    if lines.any() and not (x0 >= margin and y0 >= margin and x1 <= w - margin and y1 <= h - margin):
        lines[:] = False  # a tight crop: the line may be the digit's bar
        big = areas >= _STRAY_SHARE * areas.max()
        x0, y0, x1, y1 = x[big].min(), y[big].min(), (x + bw)[big].max(), (y + bh)[big].max()
    near = 0.03 * min(h, w)
    specks = ~lines & ~big & ((x + bw < x0 - near) | (x > x1 + near) | (y + bh < y0 - near) | (y > y1 + near))
    dropped = lines | specks
    if not dropped.any():
        return ink
    keep = np.concatenate([[True], ~dropped])  # by label: 0 is the background
    return np.where(keep[labels], ink, 0.0).astype(ink.dtype)


def without_ruling(ink: np.ndarray, level: float) -> np.ndarray:
    """``ink`` without the lines of ruled or squared paper; ``ink`` itself when it has none.

    Ruling is four or more thin straight lines in one direction, each running from edge to edge
    of the picture (on a sheet turned a little, some from one side out through the top or
    bottom, the way the others are turned) and not inside a broad stroke (a digit has three bars
    at most, as thick as its pen, and in a picture with a margin they stop short of its edges). Only their faint part
    goes: where the digit's stroke crosses a line and is clearly darker than it, it stays; where
    a line is as dark as the pen the crossing is mended from the stroke on both sides, and where
    a stroke runs along a line for a stretch, that stretch stays.
    """
    mask = (ink > level / 2).astype(np.uint8)  # a faint line's anti-aliased half-pixels too
    h, w = mask.shape
    step = -(-max(h, w) // _RULING_SIDE)
    found = mask
    if step > 1:  # found on a copy at most that big a side: a block holding any ink counts as ink
        hs, ws = -(-h // step) * step, -(-w // step) * step
        found = np.pad(mask, ((0, hs - h), (0, ws - w))).reshape(hs // step, step, ws // step, step).max(axis=(1, 3))
    (across, wide_across), (down, wide_down) = _ruled_rows(found), _ruled_rows(found.T)
    down = down.T
    if not (across.any() or down.any()):
        return ink
    if step > 1:
        across, down = (m.repeat(step, axis=0).repeat(step, axis=1)[:h, :w] & (mask > 0) for m in (across, down))
    ruling = across | down
    line_level = float(np.median(ink[ruling]))
    # where two lines cross the paper is darker still, yet no more the digit's than the lines are
    faint = ruling & ((ink < line_level + 0.25) | (across & down))
    rest = ((mask > 0) & ~faint).astype(np.uint8)
    mended = np.zeros_like(faint)
    # ink just above and below a line (or left and right), past the line's thickest band: a stroke
    for shape in (((wide_across + 2) * step, 1), (1, (wide_down + 2) * step)):
        kernel = np.ones(shape, np.uint8)
        before = cv2.dilate(rest, kernel, anchor=(shape[1] - 1, shape[0] - 1)) > 0
        after = cv2.dilate(rest, kernel, anchor=(0, 0)) > 0
        mended |= faint & before & after
    # a crossing is as dark as line and pen together: mended, it is given the pen's own level
    pen = float(np.percentile(ink[rest > 0], 90)) if rest.any() else 1.0
    return np.where(faint & ~mended, 0.0, np.where(mended, np.minimum(ink, pen), ink)).astype(ink.dtype)


def _ruled_rows(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """The pixels of ``mask`` (uint8) on ruled lines along its rows, if it has at least
    :data:`_RULED_LINES` of them, and the thickest line's rows (0 when it has none)."""
    h, w = mask.shape
    out = np.zeros((h, w), bool)
    if w < 2:
        return out, 0
    # runs across 60% of the picture; a line one pixel off straight (a slight tilt) still counts
    runs = cv2.morphologyEx(cv2.dilate(mask, np.ones((3, 1), np.uint8)), cv2.MORPH_OPEN,
                            np.ones((1, int(0.6 * w)), np.uint8)) > 0
    thickest, gap = 2 + max(3, min(h, w) // 25), 3
    bands, leaving_bands = [], []
    for start, stop in _runs(runs.any(axis=1)):
        along = runs[start:stop].any(axis=0)
        sides = [mask[r] > 0 for r in (start - gap, stop - 1 + gap) if 0 <= r < h]
        # (``thickest`` counts the two rows the dilation adds; the ink itself fills two fewer)
        if stop - start > thickest and not _thin_but_turned(mask[start:stop], along, sides, thickest - 2):
            continue  # as thick as a marker's bar
        reach = np.flatnonzero(along)  # the line itself: a scan's grain beside a bar reaches further
        ends = reach[0] <= 0.1 * w, reach[-1] >= 0.9 * w
        # the paper's lines run from edge to edge (or, turned, from one side out through the top or
        # bottom: see _in_step); a digit's bar stops short of one
        leaving = not all(ends) and any(ends) and (start <= 2 or stop >= h - 2)
        if not (all(ends) or leaving):
            continue
        inside = np.logical_and.reduce(sides) & along if sides else along
        if _long_runs(inside, thickest).sum() >= 0.5 * along.sum():
            continue  # ink on both sides along most of it, not just where lines cross: a broad stroke
        # a line's stretch inside a stroke that runs along it stays (crossings are short: mended)
        keep = _long_runs(inside, 2 * thickest)
        if leaving:
            leaving_bands.append((start, stop, keep, ends[0]))
        else:
            bands.append((start, stop, keep))
    bands += _in_step(leaving_bands, bands, mask, thickest - 2)
    for start, stop, keep in bands:
        out[start:stop] |= runs[start:stop] & (mask[start:stop] > 0) & ~keep
    widest = max((stop - start for start, stop, _ in bands), default=0)
    if len(bands) >= _RULED_LINES or (bands and _crossed_beyond_the_rest(mask, [b[:2] for b in bands])):
        return out, widest
    return np.zeros((h, w), bool), 0


def _in_step(leaving: list[tuple], crossing: list[tuple], mask: np.ndarray, thickest: int) -> list[tuple]:
    """The bands of ``leaving`` (lines that run from one side, the left one if ``from_left``, out
    through the picture's top or bottom) that leave the way the ruled lines of ``crossing`` (from
    edge to edge) are turned: a sheet turned clockwise takes a line that starts on the left out
    through the bottom. Alone, or against the turn, such a band may be a digit's bar or upright
    along an edge of a tight crop."""
    if not leaving:
        return []
    slopes = [_slope(mask[start:stop], thickest) for start, stop, _ in crossing]
    turn = float(np.median(slopes)) if slopes else 0.0
    if abs(turn) < _TURNED:
        return []
    h = mask.shape[0]
    kept = []
    for start, stop, keep, from_left in leaving:
        down = 1 if stop >= h - 2 else -1  # out through the bottom, or the top
        if np.sign(turn) == down * (1 if from_left else -1):
            kept.append((start, stop, keep))
    return kept


def _slope(band: np.ndarray, thickest: int) -> float:
    """Rows per column a thin line in ``band`` (its rows) drifts by, fitted where nothing crosses it."""
    counts = band.sum(axis=0)
    cols = np.flatnonzero((counts > 0) & (counts <= thickest))
    if cols.size < 2:
        return 0.0
    rows = (band[:, cols] * np.arange(band.shape[0])[:, None]).sum(axis=0) / counts[cols]
    x = cols - cols.mean()
    return float((x * (rows - rows.mean())).sum() / (x * x).sum())  # least squares, as polyfit's first term


def _thin_but_turned(band: np.ndarray, along: np.ndarray, sides: list[np.ndarray], thickest: int) -> bool:
    """Whether a band of rows taller than a line is thick holds a thin line turned slightly:
    column by column, where no line or stroke crosses it (a quarter of it at least), the ink
    fills at most ``thickest`` of its rows."""
    clear = along & ~np.logical_or.reduce(sides) if sides else along
    return bool(clear.sum() >= 0.25 * along.sum() and np.median(band[:, clear].sum(axis=0)) <= thickest)


def _crossed_beyond_the_rest(mask: np.ndarray, bands: list[tuple[int, int]]) -> bool:
    """The lines in ``bands`` run on past both sides of all the other ink, which keeps a margin
    from the picture's edges: a digit between the lines of ruled paper, cropped with its margin.
    A digit's own bar ends where its other strokes do."""
    rest = mask.copy()
    for start, stop in bands:
        rest[max(0, start - 1):stop + 1] = 0
    h, w = mask.shape
    # The other ink's pieces that are strokes: a grain's speck, or the sliver where a slightly
    # turned line leaves its band near the edge, is a few pixels against the digit's hundreds.
    _, _, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if not areas.size:
        return False
    strokes = stats[1:][areas >= max(2 * _PEPPER_DOT, _STRAY_SHARE * areas.max())]  # more than a speck of dust
    if not len(strokes):
        return False
    left, right = strokes[:, cv2.CC_STAT_LEFT], strokes[:, cv2.CC_STAT_LEFT] + strokes[:, cv2.CC_STAT_WIDTH]
    return int(left.min()) > _MARGIN * w and int(right.max()) < (1 - _MARGIN) * w


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """The (start, stop) of each run of True in ``flags`` (1-D)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _long_runs(flags: np.ndarray, longer_than: int) -> np.ndarray:
    """``flags`` keeping only its runs of more than ``longer_than``."""
    out = np.zeros_like(flags, dtype=bool)
    for start, stop in _runs(flags):
        if stop - start > longer_than:
            out[start:stop] = True
    return out


def _made_of_edge_lines(piece: np.ndarray, w: int, h: int) -> bool:
    """All but 5% of ``piece`` lies within 2 px of rows in the outer fifth that cross 80% of the
    picture, or of such columns: a form's line, corner or box, not a ring or a curve."""
    rows, cols = piece.sum(axis=1), piece.sum(axis=0)
    edge_rows = np.zeros(h, bool)
    edge_rows[:h // 5] = edge_rows[h - h // 5:] = True
    edge_cols = np.zeros(w, bool)
    edge_cols[:w // 5] = edge_cols[w - w // 5:] = True
    long_rows = cv2.dilate((edge_rows & (rows >= 0.8 * w)).astype(np.uint8)[:, None], np.ones((5, 1), np.uint8))
    long_cols = cv2.dilate((edge_cols & (cols >= 0.8 * h)).astype(np.uint8)[None, :], np.ones((1, 5), np.uint8))
    if not long_rows.any() and not long_cols.any():
        return False
    explained = (long_rows.reshape(h, 1) > 0) | (long_cols.reshape(1, w) > 0)
    return int((piece & ~explained).sum()) <= 0.05 * int(piece.sum())
