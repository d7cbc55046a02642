"""Distortions of 28x28 digits that mimic how people draw on a screen.

Size, position, slant (shear), rotation, stroke thickness and elastic wobble (Simard et al.
2003), all in one ``cv2.remap`` per picture. numpy + OpenCV only, so it runs in a thread beside
training and is tested without TensorFlow.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_GRID_Y, _GRID_X = np.mgrid[0:28, 0:28].astype(np.float32)
_CENTRE = 13.5


@dataclass(frozen=True)
class Augmentation:
    rotation_deg: float = 10.0
    shear: float = 0.25  # slant: x += shear * (y - centre)
    scale: tuple[float, float] = (0.9, 1.1)
    aspect: float = 0.1  # relative x/y scale jitter
    shift_px: float = 1.5
    elastic_p: float = 0.3
    elastic_alpha: float = 24.0
    elastic_sigma: float = 4.0
    thicken_p: float = 0.1
    thin_p: float = 0.05


def _elastic_bank(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    fields = rng.uniform(-1, 1, size=(n, 2, 28, 28)).astype(np.float32)
    for f in fields:
        for c in range(2):
            f[c] = cv2.GaussianBlur(f[c], (0, 0), sigma)
    return fields


class Augmenter:
    """Draws random distortions from ``rng``; ``__call__`` distorts a batch (N, 28, 28) in 0..1."""

    def __init__(self, config: Augmentation = Augmentation(), seed: int | None = None, bank: int = 4096):
        self.config = config
        self.rng = np.random.default_rng(seed)
        self._fields = _elastic_bank(self.rng, bank, config.elastic_sigma)
        self._kernel = np.ones((2, 2), np.uint8)

    def _map(self) -> tuple[np.ndarray, np.ndarray]:
        c, r = self.config, self.rng
        angle = np.deg2rad(r.uniform(-c.rotation_deg, c.rotation_deg))
        s = r.uniform(*c.scale)
        a = r.uniform(-c.aspect, c.aspect)
        sx, sy = s * (1 + a), s * (1 - a)
        shear = r.uniform(-c.shear, c.shear)
        # forward: p' = R @ Shear @ S @ (p - centre) + centre + t ; remap needs the inverse
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        fwd = rot @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
        inv = np.linalg.inv(fwd)
        t = r.uniform(-c.shift_px, c.shift_px, size=2)
        dx, dy = _GRID_X - _CENTRE - t[0], _GRID_Y - _CENTRE - t[1]
        map_x = inv[0, 0] * dx + inv[0, 1] * dy + _CENTRE
        map_y = inv[1, 0] * dx + inv[1, 1] * dy + _CENTRE
        if r.random() < c.elastic_p:
            f = self._fields[r.integers(len(self._fields))] * r.uniform(0.3, 1.0) * c.elastic_alpha
            map_x = map_x + f[0]
            map_y = map_y + f[1]
        return map_x.astype(np.float32), map_y.astype(np.float32)

    def one(self, img: np.ndarray) -> np.ndarray:
        mx, my = self._map()
        out = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        u = self.rng.random()
        if u < self.config.thicken_p:
            out = cv2.dilate(out, self._kernel)
        elif u < self.config.thicken_p + self.config.thin_p:
            thinner = cv2.erode(out, self._kernel)
            if thinner.sum() > 0.5 * out.sum():  # never erase a thin digit
                out = thinner
        return out

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, np.float32)
        return np.stack([self.one(img) for img in images]) if len(images) else images.copy()


def as_bitmap(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The digit as a small bitmap and back through the shared preprocessing: forms, old scanners
    and digit collections store 10-32 px pictures, often binary and stretched to fill the frame
    (a 1 becomes a thick bar), and the model should read those as well as drawn ones."""
    from .preprocess import INK_LEVEL, from_ink_intensity

    rows, cols = np.flatnonzero((img > INK_LEVEL).any(1)), np.flatnonzero((img > INK_LEVEL).any(0))
    if rows.size == 0:
        return img
    crop = img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    side = int(rng.integers(10, 33))
    if rng.random() < 0.5:  # stretched to fill the frame
        w, h = side, int(np.clip(round(side * rng.uniform(0.9, 1.1)), 8, 40))
    else:
        s = side / max(crop.shape)
        h, w = max(1, round(crop.shape[0] * s)), max(1, round(crop.shape[1] * s))
    small = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.7:
        small = (small > rng.uniform(0.25, 0.6)).astype(np.float32)
    pre = from_ink_intensity(cv2.copyMakeBorder(small, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=0))
    return img if pre.empty else pre.image
