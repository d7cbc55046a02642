"""A confusion-matrix heat map as PNG, drawn with OpenCV (no plotting library to install)."""
from __future__ import annotations

import os

import cv2
import numpy as np

from .atomic_file import atomic_path
from .metrics import Scores


def render_confusion(s: Scores, title: str = "") -> np.ndarray:
    cell, margin, top = 56, 70, 90
    n = 10
    img = np.full((top + n * cell + 50, margin + n * cell + 30, 3), 255, np.uint8)
    m = s.confusion[:, :10].astype(np.float64)
    rows = m.sum(axis=1, keepdims=True)
    frac = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for t in range(n):
        for p in range(n):
            x0, y0 = margin + p * cell, top + t * cell
            v = frac[t, p]
            shade = np.array([255, 255, 255]) * (1 - v) + (np.array([180, 90, 30]) if t == p
                                                           else np.array([40, 40, 200])) * v
            if t != p and m[t, p] > 0:
                shade = np.array([200, 200, 255]) * (1 - min(1, v * 5)) + np.array([40, 40, 200]) * min(1, v * 5)
            cv2.rectangle(img, (x0, y0), (x0 + cell - 2, y0 + cell - 2), [int(c) for c in shade], -1)
            if m[t, p]:
                text = str(int(m[t, p]))
                color = (255, 255, 255) if (t == p and v > 0.5) or (t != p and v > 0.1) else (0, 0, 0)
                size = cv2.getTextSize(text, font, 0.45, 1)[0]
                cv2.putText(img, text, (x0 + (cell - size[0]) // 2, y0 + (cell + size[1]) // 2), font, 0.45,
                            color, 1, cv2.LINE_AA)
        cv2.putText(img, str(t), (margin - 25, top + t * cell + cell // 2 + 6), font, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, str(t), (margin + t * cell + cell // 2 - 6, top - 10), font, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, title or "confusion matrix", (10, 25), font, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, f"accuracy {s.accuracy * 100:.2f}%  (n={s.count})   rows: true, columns: predicted",
                (10, 52), font, 0.45, (60, 60, 60), 1, cv2.LINE_AA)
    return img


def save_confusion_png(s: Scores, path: str | os.PathLike, title: str = "") -> None:
    ok, data = cv2.imencode(".png", render_confusion(s, title))
    if not ok:
        raise OSError("PNG encoding failed")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.tobytes())
