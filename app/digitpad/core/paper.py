"""What in a photo or scan of a digit is paper, not ink: uneven light, specks and form lines.

A phone photo is lit unevenly, so one background level for the whole picture calls its dark
corner ink and the crop swallows it. A scan brings dust and the line of the form's box, which
stretch the crop so the digit shrinks to a few pixels. Both are taken out here, before the MNIST
recipe. Pictures smaller than :data:`MIN_SIDE` (MNIST, bitmaps) are the digit and nothing else,
and are left exactly as they are; so are larger ones whose light is even and whose ink is one
piece.
"""
from __future__ import annotations

import cv2
import numpy as np

#: Pictures with a shorter side below this are left alone: at bitmap sizes a digit's own
#: strokes look like specks and lines.
MIN_SIDE = 48
#: Light that varies less than this across the paper (0..1 grey) counts as even: up to about
#: twice this, one background level still reads the digit right.
UNEVEN = 0.15
_ESTIMATE_SIDE = 32  # the paper's light is smooth: estimated on a small copy


def even_light(gray: np.ndarray) -> np.ndarray:
    """``gray`` (0..1) with the paper's uneven light divided out, or ``gray`` itself if even.

    The paper's brightness is a smooth surface (a quadratic in x and y) fitted to the pixels that
    are paper, not ink: fitted to all, then again to those not far on the ink's side of the fit.
    Each pixel is divided by it, which is how light works on paper (reflectance times light);
    light ink on a dark ground has the ground subtracted instead.
    """
    h, w = gray.shape
    if min(h, w) < MIN_SIDE or _even_border(gray):
        return gray
    f = _ESTIMATE_SIDE / max(h, w)
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    dark_ink = _border_median(gray) >= 0.5
    coefficients = _paper_fit(small, dark_ink)
    paper = _quadratic(coefficients, h, w)
    if float(paper.max() - paper.min()) < UNEVEN:
        return gray
    if dark_ink:
        return np.clip(gray / np.maximum(paper, 1e-3), 0.0, 1.0).astype(np.float32)
    return np.clip(gray - paper, 0.0, 1.0).astype(np.float32)


def _terms(h: int, w: int) -> list[np.ndarray]:
    y, x = np.linspace(-1, 1, h, dtype=np.float32)[:, None], np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    return [np.ones((1, 1), np.float32), x, y, x * x, x * y, y * y]


def _quadratic(coefficients: np.ndarray, h: int, w: int) -> np.ndarray:
    c0, cx, cy, cxx, cxy, cyy = (float(c) for c in coefficients)
    _, x, y = _terms(h, w)[:3]
    return (c0 + cy * y + cyy * y * y) + x * (cx + cxy * y) + cxx * x * x  # a row and a column at a time


def _paper_fit(small: np.ndarray, dark_ink: bool) -> np.ndarray:
    h, w = small.shape
    a = np.stack([np.broadcast_to(t, (h, w)).ravel() for t in _terms(h, w)], axis=1)
    v = small.ravel()
    # First guess of the paper: near the picture's closing (its opening for light ink) with a
    # square wider than a stroke, which strokes do not survive; a fit to every pixel would bend
    # round a digit that fills the picture.
    k = max(3, max(h, w) // 4) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    envelope = cv2.morphologyEx(small, cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN, kernel).ravel()
    paper = v >= envelope - 0.08 if dark_ink else v <= envelope + 0.08
    coefficients = np.array([float(np.median(v)), 0, 0, 0, 0, 0], np.float32)  # even, if nothing is paper
    for _ in range(3):
        if paper.sum() < 6:
            break
        ap = a[paper]
        coefficients = np.linalg.solve(ap.T @ ap + 1e-6 * np.eye(6, dtype=np.float32), ap.T @ v[paper])
        r = v - a @ coefficients
        spread = 1.4826 * float(np.median(np.abs(r[paper]))) + 0.02  # the paper's own grain
        paper = r > -2.5 * spread if dark_ink else r < 2.5 * spread
    return coefficients


def _even_border(gray: np.ndarray) -> bool:
    """The paper is lit evenly if the picture's edges and corners all look alike (most scans):
    then no fit is needed. Ink at an edge makes them differ; the fit then decides."""
    h, w = gray.shape
    b, ch, cw = max(1, min(h, w) // 20), h // 4, w // 4
    parts = [gray[:b, cw:-cw], gray[-b:, cw:-cw], gray[ch:-ch, :b], gray[ch:-ch, -b:],
             gray[:b, :cw], gray[:b, -cw:], gray[-b:, :cw], gray[-b:, -cw:]]
    levels = [float(np.median(p)) for p in parts]
    return max(levels) - min(levels) < UNEVEN / 2


def _border_median(gray: np.ndarray) -> float:
    band = max(1, min(gray.shape) // 20)
    border = np.concatenate([gray[:band].ravel(), gray[-band:].ravel(), gray[:, :band].ravel(),
                             gray[:, -band:].ravel()])
    return float(np.median(border))


def without_strays(ink: np.ndarray, level: float) -> np.ndarray:
    """``ink`` (light on dark, 0..1; ink above ``level``) without specks outside the digit and
    without the lines of a form's box along the picture's edges; ``ink`` itself when there are none.

    A speck is a piece of ink under 5% of the largest piece's size lying outside the digit's box
    (inside it, a dot is part of the digit and changes no crop). A form line is a piece lying
    almost all in the picture's outer fifth, at least 80% of the picture long, that runs past the
    rest of the ink at both ends (a line, or the corner or whole of a box): the digit's own bar
    does not.
    """
    h, w = ink.shape
    if min(h, w) < MIN_SIDE:
        return ink
    n, labels, stats, _ = cv2.connectedComponentsWithStats((ink > level).astype(np.uint8), connectivity=8)
    if n <= 2:
        return ink
    boxes = stats[1:, :4]  # x, y, width, height
    areas = stats[1:, cv2.CC_STAT_AREA]
    band = np.ones((h, w), bool)
    b = max(2, round(0.2 * min(h, w)))
    band[b:-b, b:-b] = False
    in_band = np.bincount(labels[band], minlength=n)[1:]
    hugging = [i for i in range(n - 1) if in_band[i] >= 0.85 * areas[i] and
               (boxes[i, 2] >= 0.8 * w or boxes[i, 3] >= 0.8 * h)]
    rest = [i for i in range(n - 1) if i not in hugging]
    if not rest:
        return ink
    lines = [i for i in hugging if _reaches_past(boxes[i], boxes[_big(rest, areas)], w, h)]
    rest += [i for i in hugging if i not in lines]  # the digit's own stroke after all
    big = _big(rest, areas)
    x0, y0 = boxes[big, 0].min(), boxes[big, 1].min()
    x1, y1 = (boxes[big, 0] + boxes[big, 2]).max(), (boxes[big, 1] + boxes[big, 3]).max()
    margin = 0.03 * min(h, w)
    specks = [i for i in rest if i not in big and (
        boxes[i, 0] + boxes[i, 2] < x0 - margin or boxes[i, 0] > x1 + margin or
        boxes[i, 1] + boxes[i, 3] < y0 - margin or boxes[i, 1] > y1 + margin)]
    dropped = lines + specks
    if not dropped:
        return ink
    return np.where(np.isin(labels, np.array(dropped) + 1), 0.0, ink).astype(ink.dtype)


def _big(pieces: list[int], areas: np.ndarray) -> list[int]:
    largest = max(areas[i] for i in pieces)
    return [i for i in pieces if areas[i] >= 0.05 * largest]


def _reaches_past(box: np.ndarray, digit: np.ndarray, w: int, h: int) -> bool:
    """Along its long side(s), the line runs past the digit's pieces at both ends (by 5% of the picture)."""
    x, y, bw, bh = box
    across = (bw >= 0.8 * w and x <= digit[:, 0].min() - 0.05 * w and
              x + bw >= (digit[:, 0] + digit[:, 2]).max() + 0.05 * w)
    down = (bh >= 0.8 * h and y <= digit[:, 1].min() - 0.05 * h and
            y + bh >= (digit[:, 1] + digit[:, 3]).max() + 0.05 * h)
    return bool(across or down)
