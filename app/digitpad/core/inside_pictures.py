"""Pictures of a model's insides, shared by the Inside panel and ``digitpad explain``: feature maps
tiled into one picture, and a saliency map over the drawing."""
from __future__ import annotations

import math

import numpy as np

GAP = 1  # pixels between tiles
GAP_VALUE = 0.25  # a mid grey, so black (inactive) maps stay visible as tiles


def mosaic_columns(channels: int) -> int:
    """Tiles per row: about twice as wide as high, which suits a side panel."""
    return max(1, min(channels, math.ceil(math.sqrt(channels * 2))))


def mosaic(maps: np.ndarray, columns: int | None = None) -> np.ndarray:
    """(H, W, C) maps -> one (rows*(H+1)-1, cols*(W+1)-1) picture in 0..1, channel ``i`` at row
    ``i // cols``, column ``i % cols``, each scaled by its own maximum (a weak map stays readable;
    :func:`tile_at` and the map's values give its real range)."""
    h, w, c = maps.shape
    cols = columns or mosaic_columns(c)
    rows = math.ceil(c / cols)
    out = np.full((rows * (h + GAP) - GAP, cols * (w + GAP) - GAP), GAP_VALUE, np.float32)
    peak = np.max(np.abs(maps), axis=(0, 1))
    for i in range(c):
        r, q = divmod(i, cols)
        tile = maps[:, :, i] / peak[i] if peak[i] > 0 else np.zeros((h, w), np.float32)
        out[r * (h + GAP):r * (h + GAP) + h, q * (w + GAP):q * (w + GAP) + w] = np.clip(tile, 0, 1)
    return out


def tile_at(x: float, y: float, shape: tuple, columns: int | None = None) -> int | None:
    """The channel under mosaic pixel (x, y), or None on a gap or outside."""
    h, w, c = shape
    cols = columns or mosaic_columns(c)
    if x < 0 or y < 0:
        return None
    r, ry = divmod(int(y), h + GAP)
    q, qx = divmod(int(x), w + GAP)
    i = r * cols + q
    return i if q < cols and ry < h and qx < w and i < c else None


def saliency_overlay(image: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """(28, 28) drawing in 0..1 and saliency -> RGB uint8: the ink in light grey, red where it
    speaks for the digit, blue where it speaks against, both scaled by the largest |value|."""
    ink = np.clip(np.asarray(image, np.float32), 0, 1)
    peak = float(np.max(np.abs(saliency))) or 1.0
    pos = np.clip(saliency / peak, 0, 1)
    neg = np.clip(-saliency / peak, 0, 1)
    base = 1.0 - 0.35 * ink  # white paper, grey ink
    rgb = np.stack([base - neg * 0.9, base - (pos + neg) * 0.9, base - pos * 0.9], axis=-1)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


#: One colour per digit for the map (colour-blind-safe tab10 order).
DIGIT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
