"""New drawings of the user's own digits for fine-tuning, made from their strokes.

Distorting the ink and drawing it again through :func:`~digitpad.core.ink.ink_to_mnist` gives
pictures exactly as the app would make them had the writer slanted, stretched or wobbled a little
more, or the pen been thicker: the crop, scale and centring follow the new shape. Distorting the
28x28 picture instead would leave every variant framed like the original. A few thousand samples
then teach a writer's style without the model learning the samples themselves.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ink import MODEL_STROKE_RATIO, Ink, ink_to_mnist
from .parallel import map_chunks
from .preprocess import SIZE


@dataclass(frozen=True)
class InkDistortion:
    rotation_deg: float = 10.0
    shear: float = 0.25  # slant: x += shear * (y - centre)
    aspect: float = 0.12  # relative x/y stretch
    wobble: float = 0.04  # smooth pen drift, as a share of the digit's size
    stroke_ratio: tuple[float, float] = (0.8 * MODEL_STROKE_RATIO, 1.25 * MODEL_STROKE_RATIO)


def distort(ink: Ink, rng: np.random.Generator, config: InkDistortion = InkDistortion()) -> Ink:
    """The same strokes through a random slant, rotation and stretch, plus a smooth wobble."""
    pts = ink.points()
    if len(pts) == 0:
        return ink
    centre = (pts.min(axis=0) + pts.max(axis=0)) / 2
    size = float(np.ptp(pts, axis=0).max()) or 1.0
    a = np.deg2rad(rng.uniform(-config.rotation_deg, config.rotation_deg))
    s = rng.uniform(-config.aspect, config.aspect)
    m = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ \
        np.array([[1.0, rng.uniform(-config.shear, config.shear)], [0.0, 1.0]]) @ np.diag([1 + s, 1 - s])
    # wobble: a random low-frequency displacement field (two sine waves per axis)
    freq = rng.uniform(0.5, 1.5, (2, 2)) * 2 * np.pi / size
    phase = rng.uniform(0, 2 * np.pi, (2, 2))
    amp = rng.uniform(0, config.wobble * size, 2)

    def move(xy: np.ndarray) -> np.ndarray:
        d = xy - centre
        shift = np.column_stack([amp[i] * np.sin(d[:, 1 - i] * freq[i, 0] + phase[i, 0]) *
                                 np.cos(d[:, i] * freq[i, 1] + phase[i, 1]) for i in range(2)])
        return d @ m.T + shift + centre

    return ink.with_strokes(np.column_stack([move(s[:, :2]), s[:, 2:]]) for s in ink.strokes)


def _render(ink: Ink, ratio: float) -> np.ndarray:
    pre = ink_to_mnist(ink, stroke_ratio=ratio)
    return np.zeros((SIZE, SIZE), np.float32) if pre.empty else pre.image


def _chunk(job: tuple[list[Ink], int, int, InkDistortion]) -> np.ndarray:
    inks, copies, seed, config = job
    rng = np.random.default_rng(seed)
    out = np.zeros((len(inks), copies, SIZE, SIZE), np.uint8)
    for i, ink in enumerate(inks):
        for c in range(copies):
            img = _render(distort(ink, rng, config), rng.uniform(*config.stroke_ratio))
            out[i, c] = np.round(img * 255).astype(np.uint8)
    return out


def ink_variants(inks: list[Ink], copies: int, seed: int = 0, config: InkDistortion = InkDistortion(),
                 workers: int | None = None) -> np.ndarray:
    """(len(inks), copies, 28, 28) uint8: ``copies`` distorted redrawings of every ink.

    Chunks of inks are drawn in worker processes; the result depends only on ``seed``.
    """
    if not inks or copies <= 0:
        return np.zeros((len(inks), max(copies, 0), SIZE, SIZE), np.uint8)
    step = 500
    jobs = [(inks[i:i + step], copies, seed * 100_003 + i, config) for i in range(0, len(inks), step)]
    return np.concatenate(map_chunks(_chunk, jobs, workers))
