"""Synthetic inks of things that are not digits: scribbles, shapes and marks.

The app should say "not a digit" when a user scribbles, draws a shape or dots the canvas, but a
model that has only seen digits reads anything as one: the shipped model takes a scribble of
random lines for 4 (95.6%), a dense looping scribble for 8 (98.4%) and a spiral for 8 (87.6%).
Each kind here is a template in a unit box (x right, y down) whose proportions, stroke order,
stroke directions and pen tremor are drawn at random, then slanted, rotated and wobbled by
:func:`~digitpad.core.ink_augment.distort`, as :mod:`~digitpad.core.writing_habits` does for
digits. The templates keep clear of digit shapes: none is a lone oval (0), a lone straight line
(1) or a lone small circle; closed shapes have corners, and a closed smiley face has eyes.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .ink import Ink, ink_to_mnist
from .ink_augment import InkDistortion
from .parallel import map_chunks
from .preprocess import SIZE
# the curve pieces and pen tremor of the writing habits, so both kinds of synthetic ink match
from .writing_habits import _CHUNK, _arc, _bezier, _count, _join, _line, _maybe_reverse, drawn_on_canvas

Strokes = list[np.ndarray]
_TAU = 2 * np.pi


# ------------------------------------------------------------------------------- curve pieces

def _curve(fine: np.ndarray) -> np.ndarray:
    """A finely sampled curve with its points respaced evenly, about a pen sample apart."""
    arc = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(fine, axis=0), axis=1))])
    at = np.linspace(0, arc[-1], _count(arc[-1]))
    return np.column_stack([np.interp(at, arc, fine[:, 0]), np.interp(at, arc, fine[:, 1])])


def _unit(angle: float) -> np.ndarray:
    return np.array([np.cos(angle), np.sin(angle)])


def _polyline(*corners) -> np.ndarray:
    return _join(*map(_line, corners[:-1], corners[1:]))


def _shuffled(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """Strokes whose order and directions carry no meaning, in a random order and direction."""
    return [_maybe_reverse(strokes[i], rng) for i in rng.permutation(len(strokes))]


def _closed(corners: np.ndarray, rng: np.random.Generator) -> Strokes:
    """A polygon from a random corner either way round: one stroke that closes with a small gap
    or overshoot, or two strokes that meet at the start and at the corner halfway round."""
    c = np.roll(corners, -rng.integers(len(corners)), axis=0)
    c = c[[0, *range(len(c) - 1, 0, -1)]] if rng.random() < 0.5 else c
    c = np.vstack([c, c[:1]])
    if rng.random() < 0.3:
        half = len(c) // 2
        return [_polyline(*c[:half + 1]), _maybe_reverse(_polyline(*c[half:]), rng, 0.3)]
    lap = rng.uniform(-0.08, 0.15)
    if lap < 0:
        c[-1] = c[0] - lap * (c[-2] - c[0])
    else:
        c = np.vstack([c, c[0] + lap * (c[1] - c[0])])
    return [_polyline(*c)]


def _ring(n: int, rng: np.random.Generator, jitter: float) -> np.ndarray:
    """``n`` corners evenly round a circle of radius 0.5 at a random turn, each moved a little."""
    a = rng.uniform(0, _TAU) + np.arange(n) * _TAU / n
    return 0.5 + 0.5 * np.column_stack([np.cos(a), np.sin(a)]) + rng.uniform(-jitter, jitter, (n, 2))


# ----------------------------------------------------------------------------------- templates

def _random_lines(rng: np.random.Generator) -> Strokes:
    if rng.random() < 0.5:  # separate strokes across each other
        n = rng.integers(4, 8)
        angles = rng.uniform(0, np.pi) + np.arange(n) * np.pi / n + rng.uniform(-0.2, 0.2, n)  # not all alike
        halves = rng.uniform(0.2, 0.5, (n, 1)) * np.array([_unit(a) for a in angles])
        return _shuffled(list(map(_line, *[rng.uniform(0.2, 0.8, (n, 2)) + k * halves for k in (-1, 1)])), rng)
    # one stroke back and forth with sharp turns: a corner turns by 80 degrees or more
    points = [rng.uniform(0, 1, 2)]
    points.append(points[0] + rng.uniform(0.4, 0.7) * _unit(rng.uniform(0, _TAU)))
    for _ in range(rng.integers(5, 9)):  # long sides in a box cross each other: no Z or 7
        a, b = points[-1] - points[-2], rng.uniform(0, 1, (50, 2)) - points[-1]  # the first that fits
        length = np.linalg.norm(b, axis=1)
        fits = (length > 0.4) & (b @ a < np.cos(np.deg2rad(80)) * np.linalg.norm(a) * length)
        points.append(points[-1] + b[np.argmax(fits)])
    return [_polyline(*points)]


def _loops(rng: np.random.Generator) -> Strokes:
    coil = rng.random() < 0.35
    turns = rng.uniform(4, 6) if coil else rng.uniform(6, 9)
    t = np.linspace(0, turns * _TAU, 2000) * rng.choice([-1, 1])
    if coil:  # loops drifting sideways, like a telephone cord; few, or the small picture is a bar
        r = 0.25
        x = r * rng.uniform(0.7, 1.1) * np.abs(t) / _TAU + r * np.cos(t)
        y = r * rng.uniform(1.1, 1.6) * np.sin(t)
    else:  # scribbling something out: small loops whose centre roams over the box
        k, p = rng.uniform(0.08, 0.2, 2), rng.uniform(0, _TAU, 2)
        r = rng.uniform(0.15, 0.22) * (1 + 0.3 * np.sin(rng.uniform(0.2, 0.5) * t))
        x = r * np.cos(t) + 0.35 * np.sin(k[0] * t + p[0])
        y = r * np.sin(t) + 0.35 * np.sin(k[1] * t + p[1])
    return [_curve(np.column_stack([x, y]))]


def _spiral(rng: np.random.Generator) -> Strokes:
    """Two and a bit to three turns of evenly spaced rings, from a small curl in the middle."""
    sweep = rng.uniform(2.3, 2.8) * _TAU
    t = np.linspace(0, sweep, 1500)
    r = 0.5 * (rng.uniform(0.05, 0.15) + (1 - 0.1) * t / sweep)
    t = t * rng.choice([-1, 1]) + rng.uniform(0, _TAU)
    spiral = _curve(np.column_stack([r * np.cos(t), r * rng.uniform(0.8, 1.2) * np.sin(t)]))
    return [_maybe_reverse(spiral, rng, 0.3)]  # most spirals start in the middle


def _hatching(rng: np.random.Generator) -> Strokes:
    n, angle, gap = rng.integers(4, 8), rng.uniform(0, np.pi), rng.uniform(0.15, 0.22)
    along, across = _unit(angle), _unit(angle + np.pi / 2)
    strokes = []
    for i in range(n):
        d = _unit(angle + rng.uniform(-0.06, 0.06))
        mid = (i * gap + rng.uniform(-0.02, 0.02)) * across + rng.uniform(-0.1, 0.1) * along
        strokes.append(_line(mid - rng.uniform(0.3, 0.5) * d, mid + rng.uniform(0.3, 0.5) * d))
    if rng.random() < 0.5:  # hatched in the same direction line after line; from either side
        strokes = [s[::-1].copy() for s in strokes]
    return strokes[::-1] if rng.random() < 0.5 else strokes


def _zigzag(rng: np.random.Generator) -> Strokes:
    n, height = rng.integers(5, 10), rng.uniform(0.25, 0.5)
    x = np.arange(n + 1) / n + rng.uniform(-0.2, 0.2, n + 1) / n
    y = height * (np.arange(n + 1) % 2 + rng.uniform(-0.12, 0.12, n + 1))
    return [_maybe_reverse(_polyline(*np.column_stack([x, y])), rng, 0.2)]


def _wave(rng: np.random.Generator) -> Strokes:
    x = np.linspace(0, 1, 600)
    y = rng.uniform(0.08, 0.2) * np.sin(rng.uniform(2, 3.5) * _TAU * x + rng.uniform(0, _TAU))
    return [_maybe_reverse(_curve(np.column_stack([x, y])), rng, 0.2)]


def _rectangle(rng: np.random.Generator) -> Strokes:
    w, h = (1.0, rng.uniform(0.6, 1.0))[::rng.choice([-1, 1])]  # not so narrow that it reads as 0
    return _closed(np.array([[0, 0], [w, 0], [w, h], [0, h]]) + rng.uniform(-0.03, 0.03, (4, 2)), rng)


def _star(rng: np.random.Generator) -> Strokes:
    """A five-pointed star in one stroke, every second point of a pentagon in turn."""
    tips = _ring(5, rng, 0.03)[np.arange(6) * rng.choice([2, 3]) % 5]
    return [_polyline(*tips, tips[-1] + rng.uniform(-0.05, 0.12) * (tips[1] - tips[0]))]


def _crossing(rng: np.random.Generator, angles: tuple[float, ...], turn: float) -> Strokes:
    """Strokes at about these angles (radians, y down) through a common middle."""
    strokes = []
    for a in np.asarray(angles) + rng.uniform(-turn, turn, len(angles)):
        arm = rng.uniform(0.8, 1.1) * _unit(a)
        start = rng.uniform(-0.6, -0.4) * arm + rng.uniform(-0.05, 0.05, 2)
        strokes.append(_line(start, start + arm))
    return _shuffled(strokes, rng)


def _hash(rng: np.random.Generator) -> Strokes:
    lean = rng.uniform(0, 0.25)  # the uprights of a hash lean forward
    bars = [_line((rng.uniform(-0.1, 0.05), y), (rng.uniform(0.95, 1.1), y + rng.uniform(-0.05, 0.05)))
            for y in (rng.uniform(0.25, 0.4), rng.uniform(0.6, 0.75))]
    posts = [_line((x + lean * 0.5, rng.uniform(-0.1, 0.05)), (x - lean * 0.5, rng.uniform(0.95, 1.1)))
             for x in (rng.uniform(0.25, 0.4), rng.uniform(0.6, 0.75))]
    return _shuffled(bars + posts, rng)


def _smiley(rng: np.random.Generator) -> Strokes:
    """A face (closed, started anywhere), two eyes as taps or short dashes and a smile, well
    apart so the small picture keeps them apart too."""
    rx, ry = 0.5, 0.5 * rng.uniform(0.9, 1.1)
    face = _arc((0, 0), rx, ry, rng.uniform(0, _TAU), rng.choice([-1, 1]) * (_TAU + rng.uniform(0.0, 0.3)))
    x, y, dash = rx * rng.uniform(0.2, 0.3), -ry * rng.uniform(0.22, 0.32), ry * rng.uniform(0.02, 0.05)
    eyes = [_line((ex, y - dash), (ex, y + dash)) if rng.random() < 0.5 else np.array([[ex, y]]) for ex in (-x, x)]
    smile = rng.uniform(0.5, 0.8)  # where the mouth's ends are, below its middle's level
    mouth = _arc((0, ry * rng.uniform(0.12, 0.2)), rx * rng.uniform(0.35, 0.48), ry * rng.uniform(0.25, 0.35),
                 smile, np.pi - 2 * smile)
    return [face, *eyes, _maybe_reverse(mouth, rng)]


def _heart(rng: np.random.Generator) -> Strokes:
    """Two lobes from a deep notch at the top down to a point, in one stroke or two halves."""
    notch, bulge, fall = rng.uniform(0.25, 0.38), rng.uniform(0.0, 0.1), rng.uniform(0.55, 0.7)
    halves = []
    for side in (-1, 1):  # from the notch over a lobe down to the point; x: away from the middle
        lobe = _join(_bezier((0, notch), (0.1, -0.05), (0.5 + bulge, -0.03), (0.5, 0.3)),
                     _bezier((0.5, 0.3), (0.5, fall), (0.15, 0.75), (0, 1)))
        halves.append(np.column_stack([0.5 + side * lobe[:, 0], lobe[:, 1]]))
    if rng.random() < 0.3:
        return halves
    heart = _join(halves[0], halves[1][::-1])
    if rng.random() < 0.5:  # from the point, not the notch
        heart = _join(heart[len(halves[0]) - 1:], heart[1:len(halves[0])])
    return [_maybe_reverse(heart, rng)]


def _arrow(rng: np.random.Generator) -> Strokes:
    """A shaft to the tip at the origin, pointing anywhere, and a head big enough to see."""
    a, spread, barb, tip = rng.uniform(0, _TAU), rng.uniform(0.4, 0.65), rng.uniform(0.3, 0.45), np.zeros(2)
    barbs = [-barb * _unit(a + s) for s in (spread, -spread)]
    shaft = _line(-_unit(a), tip)
    if rng.random() < 0.5:  # the shaft, then the head as one stroke
        return [shaft, _polyline(barbs[0], tip, barbs[1])]
    return [_join(shaft, _line(tip, barbs[0])), _line(tip, barbs[1])]


def _check(rng: np.random.Generator) -> Strokes:
    corner = np.array([rng.uniform(0.2, 0.4), 1.0])
    start = corner - rng.uniform(0.3, 0.5) * _unit(rng.uniform(0.7, 1.1))
    return [_polyline(start, corner, (1.0, rng.uniform(-0.1, 0.1)))]


def _dots(rng: np.random.Generator) -> Strokes:
    """Taps and tiny dabs scattered over the box."""
    return [c[None] if rng.random() < 0.6 else _line(c, c + rng.uniform(-0.02, 0.02, 2))
            for c in rng.uniform(0, 1, (rng.integers(8, 21), 2))]


_TEMPLATES: dict[str, Callable[[np.random.Generator], Strokes]] = {
    "random_lines": _random_lines, "loops": _loops, "spiral": _spiral, "hatching": _hatching,
    "zigzag": _zigzag, "wave": _wave, "triangle": lambda rng: _closed(_ring(3, rng, 0.06), rng),
    "rectangle": _rectangle, "star": _star, "cross": lambda rng: _crossing(rng, (np.pi / 4, 3 * np.pi / 4), 0.25),
    "plus": lambda rng: _crossing(rng, (0, np.pi / 2), 0.1), "hash": _hash, "smiley": _smiley, "heart": _heart,
    "arrow": _arrow, "check": _check, "dots": _dots,
}

#: The kinds of non-digit ink :func:`scribble_ink` draws.
KINDS: tuple[str, ...] = tuple(_TEMPLATES)


# ------------------------------------------------------------------------------------- drawing

def scribble_ink(kind: str, rng: np.random.Generator, canvas: float = 256.0) -> Ink:
    """One random ink of a kind on a ``canvas`` pixel square, y down.

    The template is slanted, rotated and wobbled first, then scaled so its longer side is 40-90%
    of the canvas and placed at random inside it, so the ink never leaves the canvas.
    """
    if kind not in _TEMPLATES:
        raise ValueError(f"unknown scribble kind {kind!r}; known: {', '.join(KINDS)}")
    return drawn_on_canvas(_TEMPLATES[kind](rng), rng, canvas, (0.4, 0.9))


def _chunk(job: tuple[int, int, int]) -> np.ndarray:
    start, count, seed = job
    rng = np.random.default_rng([seed, start])
    ratios = InkDistortion().stroke_ratio
    images = np.zeros((count, SIZE, SIZE), np.uint8)
    for i in range(count):
        pre = ink_to_mnist(scribble_ink(KINDS[(start + i) % len(KINDS)], rng), stroke_ratio=rng.uniform(*ratios))
        if not pre.empty:
            images[i] = np.round(pre.image * 255).astype(np.uint8)
    return images


def scribble_pictures(n: int, seed: int = 0, workers: int | None = None) -> np.ndarray:
    """(n, 28, 28) uint8 model inputs of the kinds in equal turns (picture ``i`` is of
    ``KINDS[i % len(KINDS)]``).

    Drawn through :func:`~digitpad.core.ink.ink_to_mnist` at a random stroke width, as
    :mod:`~digitpad.core.ink_augment` does. Each chunk seeds its own generator from ``seed`` and
    its position, so the result does not depend on ``workers``.
    """
    jobs = [(i, min(_CHUNK, n - i), seed) for i in range(0, max(n, 0), _CHUNK)]
    if not jobs:
        return np.zeros((0, SIZE, SIZE), np.uint8)
    return np.concatenate(map_chunks(_chunk, jobs, workers))
