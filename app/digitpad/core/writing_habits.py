"""Synthetic inks of pen-writing habits that MNIST hardly holds.

MNIST's American writers seldom slash or bar a zero, flag a one from far left, cross a seven,
write a four open in one stroke or give a nine a small loop and a long hooked tail, so a model
trained on it reads these as 8, 7, 2, 5/6 and 3. Each habit here is a template in a unit box
(x right, y down) whose proportions, stroke directions and pen jitter are drawn at random, then
slanted, rotated and wobbled by :func:`~digitpad.core.ink_augment.distort`, so training can mix
them in. The barred zero (read as 8) and the one whose foot curls right (read as 6) come from
the shipped model's misreadings of UNIPEN's train and tune writers, as do the slashed zeros and
long-flagged ones.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .ink import Ink, ink_to_mnist
from .ink_augment import InkDistortion, distort
from .parallel import map_chunks
from .preprocess import SIZE

_STEP = 0.025  # distance between template points, as a share of the digit's height
_JITTER = 0.004  # pen noise, as a share of the digit's height
_CHUNK = 250

Strokes = list[np.ndarray]


# ------------------------------------------------------------------------------- curve pieces

def _count(length: float) -> int:
    return max(2, int(np.ceil(length / _STEP)) + 1)


def _line(a, b) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    t = np.linspace(0, 1, _count(float(np.linalg.norm(b - a))))[:, None]
    return a + t * (b - a)


def _bezier(*ctrl) -> np.ndarray:
    """A Bezier curve through its end controls, points about ``_STEP`` apart."""
    c = np.asarray(ctrl, float)

    def at(t: np.ndarray) -> np.ndarray:
        p = np.repeat(c[None], len(t), axis=0)
        while p.shape[1] > 1:  # de Casteljau
            p = p[:, :-1] + t[:, None, None] * (p[:, 1:] - p[:, :-1])
        return p[:, 0]

    fine = at(np.linspace(0, 1, 200))
    arc = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(fine, axis=0), axis=1))])
    # equal arc-length spacing: parameter values where the cumulative length hits each step
    return at(np.interp(np.linspace(0, arc[-1], _count(arc[-1])), arc, np.linspace(0, 1, 200)))


def _arc(centre, rx: float, ry: float, start: float, sweep: float, tilt: float = 0.0) -> np.ndarray:
    """Part of an ellipse from angle ``start`` over ``sweep`` radians (negative: anticlockwise
    on screen, since y points down)."""
    n = _count(abs(sweep) * (rx + ry) / 2)
    t = start + np.linspace(0, sweep, n)
    xy = np.column_stack([rx * np.cos(t), ry * np.sin(t)])
    c, s = np.cos(tilt), np.sin(tilt)
    return xy @ np.array([[c, s], [-s, c]]) + centre


def _join(*pieces: np.ndarray) -> np.ndarray:
    """One stroke through the pieces in turn; each piece starts where the last one ended."""
    return np.vstack([pieces[0]] + [p[1:] for p in pieces[1:]])


def _maybe_reverse(stroke: np.ndarray, rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    return stroke[::-1].copy() if rng.random() < p else stroke


# ----------------------------------------------------------------------------------- templates

def _oval(rng: np.random.Generator, rx: tuple[float, float] = (0.22, 0.38)) -> np.ndarray:
    """A zero's ring, started near the top in either direction, closing with a small overlap."""
    sweep = (2 * np.pi + rng.uniform(0.05, 0.35)) * rng.choice([-1, 1])
    return _arc((0.5, 0.5), rng.uniform(*rx), rng.uniform(0.45, 0.5),
                -np.pi / 2 + rng.uniform(-0.4, 0.4), sweep, rng.uniform(-0.2, 0.2))


def _through_oval(oval: np.ndarray, direction: np.ndarray, rng: np.random.Generator,
                  overshoot: tuple[float, float]) -> np.ndarray:
    """A straight stroke through the oval's middle along ``direction``, overshooting its ring."""
    centre = oval.mean(axis=0) + rng.uniform(-0.04, 0.04, 2)
    d = direction / np.linalg.norm(direction)
    along = (oval - centre) @ d
    return _line(centre + (along.min() - rng.uniform(*overshoot)) * d,
                 centre + (along.max() + rng.uniform(*overshoot)) * d)


def _slashed_zero(rng: np.random.Generator) -> Strokes:
    oval = _oval(rng)
    angle = np.deg2rad(rng.uniform(50, 75))
    forward = rng.random() < 0.8  # "/" far more often than "\"
    d = np.array([np.cos(angle), -np.sin(angle)]) if forward else np.array([np.cos(angle), np.sin(angle)])
    slash = _through_oval(oval, d, rng, (0.04, 0.25))  # "/" drawn from bottom left up
    return [oval, _maybe_reverse(slash, rng, 0.2)]


def _barred_zero(rng: np.random.Generator) -> Strokes:
    oval = _oval(rng)
    bar = _through_oval(oval, np.array([1.0, rng.uniform(-0.15, 0.15)]), rng, (0.05, 0.2))
    return [oval, _maybe_reverse(bar, rng, 0.2)]


def _dotted_zero(rng: np.random.Generator) -> Strokes:
    oval = _oval(rng, (0.3, 0.4))  # a dot needs room: dotted zeros are round
    centre = oval.mean(axis=0) + rng.uniform(-0.04, 0.04, 2)
    if rng.random() < 0.4:
        return [oval, centre[None]]  # a tap
    d = rng.normal(size=2)
    return [oval, _line(centre, centre + rng.uniform(0.01, 0.04) * d / np.linalg.norm(d))]


def _flagged_one(rng: np.random.Generator) -> Strokes:
    stem_x = rng.uniform(0.55, 0.65)
    top = np.array([stem_x, rng.uniform(0.0, 0.03)])
    start = np.array([stem_x - rng.uniform(0.28, 0.42), rng.uniform(0.25, 0.42)])
    bow = rng.uniform(-0.05, 0.04)  # a flag bulges up a little or sags
    mid = (start + top) / 2 + bow * np.array([1, 1]) / np.sqrt(2)
    foot_y = 1.0
    # a stem leaning back under a long flag would make a caret: lean it forward or not at all
    bottom = np.array([stem_x + rng.uniform(-0.12, 0.0), foot_y])
    stem = _bezier(top, (top + bottom) / 2 + [rng.uniform(-0.03, 0.03), 0], bottom)
    strokes = [_join(_bezier(start, mid, top), stem)]
    if rng.random() < 0.5:
        y = foot_y + rng.uniform(-0.02, 0.02)
        foot = _line((bottom[0] - rng.uniform(0.15, 0.27), y + rng.uniform(-0.03, 0.03)),
                     (bottom[0] + rng.uniform(0.15, 0.27), y + rng.uniform(-0.03, 0.03)))
        strokes.append(_maybe_reverse(foot, rng, 0.2))
    return strokes


def _curled_one(rng: np.random.Generator) -> Strokes:
    """A stem whose foot curls off to the right, in one stroke (read as 6 or L)."""
    x = rng.uniform(0.4, 0.5)
    top = np.array([x + rng.uniform(0.0, 0.08), 0.0])
    knee = np.array([x, rng.uniform(0.75, 0.85)])
    end = np.array([x + rng.uniform(0.22, 0.35), rng.uniform(0.82, 0.95)])
    pieces = [_line(top, knee), _bezier(knee, (x, 1.0), end)]
    if rng.random() < 0.3:  # a short flag first
        pieces.insert(0, _line(top + [-rng.uniform(0.08, 0.15), rng.uniform(0.08, 0.15)], top))
    return [_join(*pieces)]


def _crossed_seven(rng: np.random.Generator) -> Strokes:
    left = np.array([rng.uniform(0.0, 0.1), rng.uniform(0.0, 0.05)])
    right = np.array([rng.uniform(0.8, 0.95), rng.uniform(0.0, 0.06)])
    foot = np.array([rng.uniform(0.3, 0.5), 1.0])
    bar = _bezier(left, (left + right) / 2 - [0, rng.uniform(-0.02, 0.05)], right)
    leg = _bezier(right, (right + foot) / 2 + [rng.uniform(-0.06, 0.04), 0], foot)
    pieces = [bar, leg]
    if rng.random() < 0.4:  # a serif: a small tick down at the bar's start
        pieces.insert(0, _line(left + [rng.uniform(-0.03, 0.02), rng.uniform(0.06, 0.14)], left))
    y = rng.uniform(0.45, 0.6)
    x = np.interp(y, leg[:, 1], leg[:, 0])
    tilt = rng.uniform(-0.04, 0.04)
    cross = _line((x - rng.uniform(0.15, 0.28), y + tilt), (x + rng.uniform(0.15, 0.28), y - tilt))
    return [_join(*pieces), _maybe_reverse(cross, rng, 0.15)]


def _open_four(rng: np.random.Generator) -> Strokes:
    """Down-left, along the bar a little past the stem, up to the stem's top and down again over
    the way up: one stroke, the top left open."""
    arm_top = np.array([rng.uniform(0.15, 0.32), rng.uniform(0.0, 0.1)])
    bar_y = rng.uniform(0.58, 0.7)
    corner = np.array([rng.uniform(0.0, 0.08), bar_y])
    stem_top = np.array([rng.uniform(0.62, 0.75), rng.uniform(0.0, 0.06)])
    bar_end = np.array([stem_top[0] + rng.uniform(0.03, 0.15), bar_y + rng.uniform(-0.05, 0.02)])
    # the way down leaves the way up gradually: by the bar it runs up to 0.1 left of the bar's end
    crossing = bar_end - [rng.uniform(0.0, 0.1), 0]
    bottom = stem_top + (crossing - stem_top) * (1 - stem_top[1]) / (crossing[1] - stem_top[1])
    return [_join(_bezier(arm_top, (arm_top + corner) / 2 + [rng.uniform(-0.04, 0.03), 0], corner),
                  _line(corner, bar_end), _line(bar_end, stem_top), _line(stem_top, bottom))]


def _loop_nine(rng: np.random.Generator) -> Strokes:
    """A small loop drawn anticlockwise from its upper right, then a long tail hooking low-left."""
    ry = rng.uniform(0.17, 0.22)
    rx = ry * rng.uniform(0.9, 1.3)
    cx, cy = 0.5, ry
    start = rng.uniform(-1.0, -0.2)
    loop = _arc((cx, cy), rx, ry, start, -(2 * np.pi + rng.uniform(0.1, 0.35)))
    p0 = loop[-1]
    tail = _bezier(p0, (p0[0] + rng.uniform(0.0, 0.1), p0[1] + rng.uniform(0.3, 0.45)),
                   (cx + rng.uniform(-0.05, 0.1), rng.uniform(0.8, 0.95)),
                   (cx - rng.uniform(0.25, 0.42), rng.uniform(1.0, 1.08)))
    return [_join(loop, tail)]


_TEMPLATES: dict[str, tuple[int, Callable[[np.random.Generator], Strokes]]] = {
    "slashed_zero": (0, _slashed_zero),
    "dotted_zero": (0, _dotted_zero),
    "barred_zero": (0, _barred_zero),
    "flagged_one": (1, _flagged_one),
    "curled_one": (1, _curled_one),
    "crossed_seven": (7, _crossed_seven),
    "open_four": (4, _open_four),
    "loop_nine": (9, _loop_nine),
}

#: Habit name -> the digit it writes.
HABITS: dict[str, int] = {name: digit for name, (digit, _) in _TEMPLATES.items()}


# ------------------------------------------------------------------------------------- drawing

def habit_ink(name: str, rng: np.random.Generator, canvas: float = 256.0) -> Ink:
    """One random instance of a habit on a ``canvas`` pixel square, y down.

    The template is slanted, rotated and wobbled first, then scaled so its longer side is 50-90%
    of the canvas and placed at random inside it, so the ink never leaves the canvas.
    """
    if name not in _TEMPLATES:
        raise ValueError(f"unknown writing habit {name!r}; known: {', '.join(_TEMPLATES)}")
    return drawn_on_canvas(_TEMPLATES[name][1](rng), rng, canvas, (0.5, 0.9))


def drawn_on_canvas(strokes, rng: np.random.Generator, canvas: float, size: tuple[float, float]) -> Ink:
    """Template strokes (unit box) with a pen's tremor, slanted, rotated and wobbled, then scaled so
    the longer side is ``size`` of the canvas and placed at random inside it."""
    strokes = [s + _smooth_noise(len(s), rng) for s in strokes]
    ink = distort(Ink(1.0, 1.0, tuple(strokes)), rng, InkDistortion())
    pts = ink.points()
    lo, extent = pts.min(axis=0), np.ptp(pts, axis=0)
    scale = rng.uniform(*size) * canvas / max(float(extent.max()), 1e-9)
    origin = rng.uniform(0, 1, 2) * (canvas - extent * scale)
    return Ink(canvas, canvas, tuple((s - lo) * scale + origin for s in ink.strokes))


def _smooth_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pen tremor: neighbouring points move together, so the line stays smooth."""
    noise = rng.normal(0, _JITTER * 1.6, (n + 2, 2))
    return (noise[:-2] + noise[1:-1] + noise[2:]) / 3


def _chunk(job: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    start, count, seed = job
    rng = np.random.default_rng([seed, start])
    names = list(_TEMPLATES)
    ratios = InkDistortion().stroke_ratio
    images = np.zeros((count, SIZE, SIZE), np.uint8)
    labels = np.zeros(count, np.int64)
    for i in range(count):
        name = names[(start + i) % len(names)]
        pre = ink_to_mnist(habit_ink(name, rng), stroke_ratio=rng.uniform(*ratios))
        if not pre.empty:
            images[i] = np.round(pre.image * 255).astype(np.uint8)
        labels[i] = HABITS[name]
    return images, labels


def habit_pictures(n: int, seed: int = 0, workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) uint8 model inputs of the habits in equal turns, and their (n,) int64 digits.

    Drawn through :func:`~digitpad.core.ink.ink_to_mnist` at a random stroke width, as
    :mod:`~digitpad.core.ink_augment` does. Each chunk seeds its own generator from ``seed`` and
    its position, so the result does not depend on ``workers``.
    """
    jobs = [(i, min(_CHUNK, n - i), seed) for i in range(0, max(n, 0), _CHUNK)]
    if not jobs:
        return np.zeros((0, SIZE, SIZE), np.uint8), np.zeros(0, np.int64)
    parts = map_chunks(_chunk, jobs, workers)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
