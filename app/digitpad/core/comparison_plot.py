"""Two models' confusion matrices side by side and their difference, as one PNG drawn with OpenCV:
the picture ``digitpad evaluate A --compare B --plot out.png`` writes."""
from __future__ import annotations

import os

import cv2
import numpy as np

from .images import write_image
from .comparison import Comparison, improvement
from .confusion_plot import CELL, FONT, N, cell_origin, fill_cell, grid_canvas, label_grid, render_confusion

_GREEN, _RED = np.array([60, 150, 40]), np.array([40, 40, 200])  # BGR


def render_difference(delta: np.ndarray, title: str = "") -> np.ndarray:
    """(10, 11) ``b``'s confusion minus ``a``'s as a heat map the size of :func:`render_confusion`'s:
    each cell shows the change in count, green where ``b`` is better (more right on the diagonal,
    fewer misread off it), red where it is worse."""
    img = grid_canvas()
    gains = np.array([[improvement(delta, t, p) for p in range(N)] for t in range(N)])
    most = max(1, int(np.abs(gains).max()))
    for t in range(N):
        for p in range(N):
            g = gains[t, p]
            v = min(1.0, 0.25 + 0.75 * abs(g) / most) if g else 0.0
            shade = np.array([255, 255, 255]) * (1 - v) + (_GREEN if g > 0 else _RED) * v
            fill_cell(img, t, p, shade, f"{int(delta[t, p]):+d}" if delta[t, p] else "",
                      (255, 255, 255) if v > 0.5 else (0, 0, 0))
            if t == p:
                x0, y0 = cell_origin(t, p)
                cv2.rectangle(img, (x0, y0), (x0 + CELL - 2, y0 + CELL - 2), (150, 150, 150), 1)
    label_grid(img, title or "difference", "change in count; green: better, red: worse")
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
    cv2.putText(head, title, (10, 28), FONT, 0.7, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(head, f"accuracy {sa.accuracy * 100:.2f}% vs {sb.accuracy * 100:.2f}% on {sa.count} digits;  "
                      f"only A right: {test.only_a}, only B right: {test.only_b};  McNemar p = {test.p_value:.3g}",
                (10, 56), FONT, 0.5, (60, 60, 60), 1, cv2.LINE_AA)
    return np.vstack([head, body])


def save_comparison_png(c: Comparison, path: str | os.PathLike, data_name: str = "") -> None:
    write_image(path, render_comparison(c, data_name), ".png")
