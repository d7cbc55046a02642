"""MNIST pictures redrawn as ink: skeleton -> strokes -> the same rasteriser as the canvas.

Training on these teaches the model what stroke-drawn digits look like after
:func:`~digitpad.core.ink.ink_to_mnist`; ``bench/`` builds its stroke test set the same way
from MNIST test (writers the training never saw).
"""
from __future__ import annotations

import numpy as np

from .ink import Ink, ink_to_mnist
from .parallel import map_chunks
from .preprocess import SIZE
from .skeleton import digit_skeletons


def segments_to_ink(segments: np.ndarray, *, canvas: float = 280.0, matrix: np.ndarray | None = None,
                    jitter: float = 0.0, rng: np.random.Generator | None = None) -> Ink:
    """Each skeleton segment becomes a 2-point stroke on a ``canvas``-pixel square.

    ``matrix`` (2x3, in 28-px units about the centre) slants, rotates, scales and moves the
    digit; ``jitter`` adds pen noise in canvas pixels.
    """
    pts = segments.reshape(-1, 2).astype(np.float64)
    if matrix is not None:
        pts = (pts - SIZE / 2) @ matrix[:, :2].T + matrix[:, 2] + SIZE / 2
    pts = pts * (canvas / SIZE)
    if jitter and rng is not None:
        pts = pts + rng.normal(0, jitter, pts.shape)
    strokes = tuple(pts.reshape(-1, 2, 2))
    return Ink(canvas, canvas, strokes)


def _render_chunk(images: np.ndarray) -> np.ndarray:
    out = np.zeros((len(images), SIZE, SIZE), np.uint8)
    for i, s in enumerate(digit_skeletons(images)):
        if len(s):
            pre = ink_to_mnist(segments_to_ink(s))
            if not pre.empty:
                out[i] = np.round(pre.image * 255).astype(np.uint8)
    return out


def stroke_versions(images: np.ndarray, workers: int | None = None) -> np.ndarray:
    """(N, 28, 28) uint8 MNIST-format pictures of each digit redrawn through the ink rasteriser.

    Thinning and drawing both run in worker processes, a chunk of digits each.
    """
    images = np.asarray(images)
    parts = map_chunks(_render_chunk, [images[i:i + 2000] for i in range(0, len(images), 2000)], workers)
    return np.concatenate(parts) if parts else np.zeros((0, SIZE, SIZE), np.uint8)
