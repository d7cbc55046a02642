"""An ink being drawn: strokes, per-stroke undo/redo, a stroke eraser. Qt-free so it is tested
without a window; the canvas widget only forwards pointer events here."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .ink import Ink


@dataclass
class _Edit:
    added: list[np.ndarray] = field(default_factory=list)
    removed: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (index, stroke)


class InkDocument:
    """Strokes are the source of truth: the screen and the model input are both drawn from them."""

    def __init__(self, width: float, height: float, pen_width: float | None = None):
        self.width, self.height, self.pen_width = float(width), float(height), pen_width
        self.strokes: list[np.ndarray] = []
        self._current: list[list[float]] | None = None
        self._undo: list[_Edit] = []
        self._redo: list[_Edit] = []
        self._t0: float | None = None

    # -- drawing -----------------------------------------------------------------------
    def _now_ms(self) -> float:
        if self._t0 is None:
            self._t0 = time.monotonic()
        return (time.monotonic() - self._t0) * 1000.0

    def begin_stroke(self, x: float, y: float, pressure: float = 1.0) -> None:
        self._current = [[x, y, pressure, self._now_ms()]]

    def extend_stroke(self, x: float, y: float, pressure: float = 1.0) -> None:
        if self._current is None:
            self.begin_stroke(x, y, pressure)
            return
        last = self._current[-1]
        if (x - last[0]) ** 2 + (y - last[1]) ** 2 < 0.25:  # ignore sub-pixel jitter
            return
        self._current.append([x, y, pressure, self._now_ms()])

    def end_stroke(self) -> bool:
        """Commit the stroke in progress as one undo step; False if there was none."""
        if self._current is None:
            return False
        stroke = np.asarray(self._current, np.float64)
        self._current = None
        self.strokes.append(stroke)
        self._push(_Edit(added=[stroke]))
        return True

    @property
    def drawing(self) -> bool:
        return self._current is not None

    # -- editing -----------------------------------------------------------------------
    def _push(self, edit: _Edit) -> None:
        self._undo.append(edit)
        self._redo.clear()

    def erase_at(self, x: float, y: float, radius: float) -> bool:
        """Remove every stroke passing within ``radius`` of (x, y), as one undo step."""
        hit = [i for i, s in enumerate(self.strokes) if _distance_to_stroke(s, x, y) <= radius]
        if not hit:
            return False
        edit = _Edit(removed=[(i, self.strokes[i]) for i in hit])
        for i in reversed(hit):
            del self.strokes[i]
        self._push(edit)
        return True

    def clear(self) -> bool:
        if not self.strokes and self._current is None:
            return False
        self._current = None
        if self.strokes:
            self._push(_Edit(removed=list(enumerate(self.strokes))))
            self.strokes = []
        return True

    def replace(self, ink: Ink) -> None:
        """Load a saved drawing (undoable, like any other edit)."""
        edit = _Edit(added=[np.asarray(s, np.float64) for s in ink.strokes],
                     removed=list(enumerate(self.strokes)))
        self.width, self.height = ink.width, ink.height
        self.pen_width = ink.pen_width if ink.pen_width is not None else self.pen_width
        self.strokes = list(edit.added)
        self._current = None
        self._push(edit)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> bool:
        if not self._undo:
            return False
        edit = self._undo.pop()
        for s in edit.added:
            for i in range(len(self.strokes) - 1, -1, -1):
                if self.strokes[i] is s:
                    del self.strokes[i]
                    break
        for i, s in sorted(edit.removed, key=lambda p: p[0]):
            self.strokes.insert(i, s)
        self._redo.append(edit)
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        edit = self._redo.pop()
        for i, _ in sorted(edit.removed, key=lambda p: p[0], reverse=True):
            del self.strokes[i]
        self.strokes.extend(edit.added)
        self._undo.append(edit)
        return True

    # -- snapshots -----------------------------------------------------------------------
    def snapshot(self) -> Ink:
        """An immutable ink of everything on the canvas, including the stroke being drawn."""
        strokes = [s.copy() for s in self.strokes]
        if self._current:
            strokes.append(np.asarray(self._current, np.float64))
        return Ink(self.width, self.height, tuple(strokes), self.pen_width)

    @property
    def is_empty(self) -> bool:
        return not self.strokes and not self._current


def _distance_to_stroke(stroke: np.ndarray, x: float, y: float) -> float:
    pts = stroke[:, :2]
    p = np.array([x, y])
    if len(pts) == 1:
        return float(np.linalg.norm(pts[0] - p))
    a, b = pts[:-1], pts[1:]
    ab = b - a
    denom = np.maximum((ab ** 2).sum(axis=1), 1e-12)
    t = np.clip(((p - a) * ab).sum(axis=1) / denom, 0, 1)
    closest = a + ab * t[:, None]
    return float(np.sqrt(((closest - p) ** 2).sum(axis=1)).min())
