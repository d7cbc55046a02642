"""A confusion-matrix heat map as PNG, drawn with OpenCV (no plotting library to install)."""
from __future__ import annotations

import os

import cv2
import numpy as np

from .images import write_image
from .metrics import Scores


#: The grid both heat maps share (this one and ``comparison_plot``'s difference): cell size, the
#: margin left of it for the row labels, the space above it for the title and column labels.
CELL, MARGIN, TOP, N = 56, 70, 90, 10
FONT = cv2.FONT_HERSHEY_SIMPLEX


def grid_canvas() -> np.ndarray:
    return np.full((TOP + N * CELL + 50, MARGIN + N * CELL + 30, 3), 255, np.uint8)


def cell_origin(true: int, read: int) -> tuple[int, int]:
    return MARGIN + read * CELL, TOP + true * CELL


def fill_cell(img: np.ndarray, true: int, read: int, colour, text: str = "", text_colour=(0, 0, 0)) -> None:
    """One cell of the grid, with ``text`` centred in it."""
    x0, y0 = cell_origin(true, read)
    cv2.rectangle(img, (x0, y0), (x0 + CELL - 2, y0 + CELL - 2), [int(c) for c in colour], -1)
    if text:
        size = cv2.getTextSize(text, FONT, 0.45, 1)[0]
        cv2.putText(img, text, (x0 + (CELL - size[0]) // 2, y0 + (CELL + size[1]) // 2), FONT, 0.45,
                    text_colour, 1, cv2.LINE_AA)


def label_grid(img: np.ndarray, title: str, subtitle: str) -> None:
    """Digits along both axes, a title and a line under it."""
    for t in range(N):
        cv2.putText(img, str(t), (MARGIN - 25, TOP + t * CELL + CELL // 2 + 6), FONT, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, str(t), (MARGIN + t * CELL + CELL // 2 - 6, TOP - 10), FONT, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, title, (10, 25), FONT, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, subtitle, (10, 52), FONT, 0.45, (60, 60, 60), 1, cv2.LINE_AA)


def render_confusion(s: Scores, title: str = "") -> np.ndarray:
    img = grid_canvas()
    m = s.confusion[:, :10].astype(np.float64)
    rows = m.sum(axis=1, keepdims=True)
    frac = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    for t in range(N):
        for p in range(N):
            v = frac[t, p]
            shade = np.array([255, 255, 255]) * (1 - v) + (np.array([180, 90, 30]) if t == p
                                                           else np.array([40, 40, 200])) * v
            if t != p and m[t, p] > 0:
                shade = np.array([200, 200, 255]) * (1 - min(1, v * 5)) + np.array([40, 40, 200]) * min(1, v * 5)
            white = (t == p and v > 0.5) or (t != p and v > 0.1)
            fill_cell(img, t, p, shade, str(int(m[t, p])) if m[t, p] else "",
                      (255, 255, 255) if white else (0, 0, 0))
    label_grid(img, title or "confusion matrix",
               f"accuracy {s.accuracy * 100:.2f}%  (n={s.count})   rows: true, columns: predicted")
    return img


def save_confusion_png(s: Scores, path: str | os.PathLike, title: str = "") -> None:
    write_image(path, render_confusion(s, title), ".png")
