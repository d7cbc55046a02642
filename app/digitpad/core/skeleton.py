"""Thinning pictures of digits into one-pixel skeletons, and skeletons into ink.

Used to turn MNIST pictures into stroke-drawn digits: for training (so the model sees digits as the
ink rasteriser draws them) and for the synthetic stroke test set in ``bench/``.
"""
from __future__ import annotations

import cv2
import numpy as np


def _removal_tables() -> np.ndarray:
    """Zhang-Suen's deletion test for both sub-steps, looked up by the 8-neighbour code."""
    table = np.zeros((2, 256), bool)
    for code in range(256):
        p = [(code >> i) & 1 for i in range(8)]  # p2, p3, ..., p9 clockwise from north
        b = sum(p)
        a = sum(1 for i in range(8) if p[i] == 0 and p[(i + 1) % 8] == 1)
        p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
        base = 2 <= b <= 6 and a == 1
        table[0, code] = base and p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
        table[1, code] = base and p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return table


_TABLES = _removal_tables()


def thin(binary: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a bool image or a batch (N, H, W) of them, vectorised over the batch."""
    img = np.asarray(binary, bool)
    single = img.ndim == 2
    if single:
        img = img[None]
    img = np.pad(img, ((0, 0), (1, 1), (1, 1))).astype(np.uint8)
    active = np.arange(len(img))
    while active.size:
        still = np.zeros(active.size, bool)
        for step in (0, 1):
            p = img[active]
            code = (p[:, :-2, 1:-1] | p[:, :-2, 2:] << 1 | p[:, 1:-1, 2:] << 2 | p[:, 2:, 2:] << 3
                    | p[:, 2:, 1:-1] << 4 | p[:, 2:, :-2] << 5 | p[:, 1:-1, :-2] << 6 | p[:, :-2, :-2] << 7)
            remove = _TABLES[step][code] & (p[:, 1:-1, 1:-1] == 1)
            still |= remove.any(axis=(1, 2))
            inner = p[:, 1:-1, 1:-1]
            inner[remove] = 0
            img[active] = p
        active = active[still]
    out = img[:, 1:-1, 1:-1].astype(bool)
    return out[0] if single else out


def skeleton_segments(skel: np.ndarray) -> np.ndarray:
    """Line segments (M, 2, 2) in (x, y) joining 8-connected skeleton pixels.

    A diagonal link is skipped when the two pixels are already joined through an orthogonal
    neighbour, so corners do not turn into little filled triangles when drawn thick.
    """
    s = np.pad(np.asarray(skel, bool), 1)
    c = s[1:-1, 1:-1]
    e, w = s[1:-1, 2:], s[1:-1, :-2]
    so, se, sw = s[2:, 1:-1], s[2:, 2:], s[2:, :-2]
    n, ne, nw = s[:-2, 1:-1], s[:-2, 2:], s[:-2, :-2]
    lonely = c & ~(e | w | so | se | sw | n | ne | nw)
    links = ((c & e, 1, 0), (c & so, 0, 1), (c & se & ~(e | so), 1, 1), (c & sw & ~(w | so), -1, 1),
             (lonely, 0, 0))
    parts = []
    for mask, dx, dy in links:
        ys, xs = np.nonzero(mask)
        if ys.size:
            start_pts = np.stack([xs, ys], axis=1).astype(np.float64)
            parts.append(np.stack([start_pts, start_pts + (dx, dy)], axis=1))
    if not parts:
        return np.zeros((0, 2, 2), np.float64)
    return np.concatenate(parts)


def digit_skeletons(images: np.ndarray, upsample: int = 2, level: float = 0.35) -> list[np.ndarray]:
    """Skeleton segments for each 28x28 picture, in the picture's pixel coordinates."""
    imgs = np.asarray(images, np.float32)
    if imgs.max() > 1.0:
        imgs = imgs / 255.0
    n, h, w = imgs.shape
    big = np.stack([cv2.resize(im, (w * upsample, h * upsample), interpolation=cv2.INTER_LINEAR)
                    for im in imgs]) > level
    out = []
    for start in range(0, n, 2048):
        skels = thin(big[start:start + 2048])
        for sk in skels:
            out.append((skeleton_segments(sk) + 0.5) / upsample - 0.5)
    return out
