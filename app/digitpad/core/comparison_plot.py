"""Two models' confusion matrices side by side and their difference, as one PNG drawn with OpenCV:
the picture ``digitpad evaluate A --compare B --plot out.png`` writes."""
from __future__ import annotations

import os

import cv2
import numpy as np

from .atomic_file import atomic_path
from .comparison import Comparison, improvement
from .confusion_plot import render_confusion

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_GREEN, _RED = np.array([60, 150, 40]), np.array([40, 40, 200])  # BGR


def render_difference(delta: np.ndarray, title: str = "") -> np.ndarray:
    """(10, 11) ``b``'s confusion minus ``a``'s as a heat map the size of :func:`render_confusion`'s:
    each cell shows the change in count, green where ``b`` is better (more right on the diagonal,
    fewer misread off it), red where it is worse."""
    cell, margin, top, n = 56, 70, 90, 10
    img = np.full((top + n * cell + 50, margin + n * cell + 30, 3), 255, np.uint8)
    gains = np.array([[improvement(delta, t, p) for p in range(n)] for t in range(n)])
    most = max(1, int(np.abs(gains).max()))
    for t in range(n):
        for p in range(n):
            x0, y0 = margin + p * cell, top + t * cell
            g = gains[t, p]
            v = min(1.0, 0.25 + 0.75 * abs(g) / most) if g else 0.0
            shade = np.array([255, 255, 255]) * (1 - v) + (_GREEN if g > 0 else _RED) * v
            cv2.rectangle(img, (x0, y0), (x0 + cell - 2, y0 + cell - 2), [int(c) for c in shade], -1)
            if t == p:
                cv2.rectangle(img, (x0, y0), (x0 + cell - 2, y0 + cell - 2), (150, 150, 150), 1)
            if delta[t, p]:
                text = f"{int(delta[t, p]):+d}"
                color = (255, 255, 255) if v > 0.5 else (0, 0, 0)
                size = cv2.getTextSize(text, _FONT, 0.45, 1)[0]
                cv2.putText(img, text, (x0 + (cell - size[0]) // 2, y0 + (cell + size[1]) // 2), _FONT, 0.45,
                            color, 1, cv2.LINE_AA)
        cv2.putText(img, str(t), (margin - 25, top + t * cell + cell // 2 + 6), _FONT, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, str(t), (margin + t * cell + cell // 2 - 6, top - 10), _FONT, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, title or "difference", (10, 25), _FONT, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "change in count; green: better, red: worse", (10, 52), _FONT, 0.45, (60, 60, 60), 1,
                cv2.LINE_AA)
    return img


def render_comparison(c: Comparison, data_name: str = "") -> np.ndarray:
    """A's and B's confusion matrices and B minus A, left to right, under one line with both
    accuracies and McNemar's p."""
    a, b = c.names
    sa, sb = c.scores
    test = c.test()
    panels = [render_confusion(sa, f"A: {a}"), render_confusion(sb, f"B: {b}"),
              render_difference(c.delta(), f"B - A: {(sb.accuracy - sa.accuracy) * 100:+.2f} points")]
    body = np.hstack(panels)
    head = np.full((70, body.shape[1], 3), 255, np.uint8)
    title = f"{a} (A) vs {b} (B)" + (f" on {data_name}" if data_name else "")
    cv2.putText(head, title, (10, 28), _FONT, 0.7, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(head, f"accuracy {sa.accuracy * 100:.2f}% vs {sb.accuracy * 100:.2f}% on {sa.count} digits;  "
                      f"only A right: {test.only_a}, only B right: {test.only_b};  McNemar p = {test.p_value:.3g}",
                (10, 56), _FONT, 0.5, (60, 60, 60), 1, cv2.LINE_AA)
    return np.vstack([head, body])


def save_comparison_png(c: Comparison, path: str | os.PathLike, data_name: str = "") -> None:
    ok, data = cv2.imencode(".png", render_comparison(c, data_name))
    if not ok:
        raise OSError("PNG encoding failed")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.tobytes())
