"""An ink being drawn: strokes, per-stroke undo/redo, a stroke eraser, and a picture shown instead
of ink (opened or pasted). Qt-free so it is tested without a window; the canvas widget only
forwards pointer events here.

A picture is one step of the document like a stroke: showing it sets the strokes aside (undo brings
them back), and drawing over it starts a new drawing in the same step as the first stroke, so one
undo takes that stroke away and brings the picture back.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .ink import Ink


@dataclass
class _Edit:
    added: list[np.ndarray] = field(default_factory=list)
    removed: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (index, stroke)
    picture: tuple[np.ndarray | None, np.ndarray | None] | None = None  # (before, after) when it changed


class InkDocument:
    """Strokes are the source of truth: the screen and the model input are both drawn from them."""

    def __init__(self, width: float, height: float, pen_width: float | None = None):
        self.width, self.height, self.pen_width = float(width), float(height), pen_width
        self.strokes: list[np.ndarray] = []
        self.picture: np.ndarray | None = None  # shown instead of ink; never together with strokes
        self._covered: np.ndarray | None = None  # the picture a stroke in progress is drawn over
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
        if self.picture is not None:  # drawing over a picture starts a new drawing
            self._covered, self.picture = self.picture, None
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
        covered, self._covered = self._covered, None
        self._push(_Edit(added=[stroke], picture=None if covered is None else (covered, None)))
        return True

    @property
    def drawing(self) -> bool:
        return self._current is not None

    # -- editing -----------------------------------------------------------------------
    def _push(self, edit: _Edit) -> None:
        self._undo.append(edit)
        self._redo.clear()

    def erase_at(self, x: float, y: float, radius: float) -> bool:
        """Remove every stroke passing within ``radius`` of (x, y), as one undo step; on a picture,
        the picture goes (also undoable)."""
        if self.picture is not None:
            self._push(_Edit(picture=(self.picture, None)))
            self.picture = None
            return True
        hit = [i for i, s in enumerate(self.strokes) if _distance_to_stroke(s, x, y) <= radius]
        if not hit:
            return False
        edit = _Edit(removed=[(i, self.strokes[i]) for i in hit])
        for i in reversed(hit):
            del self.strokes[i]
        self._push(edit)
        return True

    def clear(self) -> bool:
        """Remove the strokes and the picture, as one undo step; False if there was nothing."""
        shown = self._shown_picture()
        if not self.strokes and self._current is None and shown is None:
            return False
        self._current = self._covered = self.picture = None
        if self.strokes or shown is not None:
            self._push(_Edit(removed=list(enumerate(self.strokes)),
                             picture=None if shown is None else (shown, None)))
            self.strokes = []
        return True

    def show_picture(self, picture: np.ndarray) -> None:
        """Show a picture instead of the ink (opened, pasted, dropped): one undo step that sets the
        strokes aside; undo brings them back."""
        edit = _Edit(removed=list(enumerate(self.strokes)), picture=(self._shown_picture(), picture))
        self.strokes, self._current, self._covered, self.picture = [], None, None, picture
        self._push(edit)

    def _shown_picture(self) -> np.ndarray | None:
        return self.picture if self.picture is not None else self._covered

    def replace(self, ink: Ink) -> None:
        """Load a saved drawing (undoable, like any other edit)."""
        shown = self._shown_picture()
        edit = _Edit(added=[np.asarray(s, np.float64) for s in ink.strokes],
                     removed=list(enumerate(self.strokes)), picture=None if shown is None else (shown, None))
        self.width, self.height = ink.width, ink.height
        self.pen_width = ink.pen_width if ink.pen_width is not None else self.pen_width
        self.strokes = list(edit.added)
        self._current = self._covered = self.picture = None
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
        if edit.picture is not None:
            self.picture = edit.picture[0]
        self._redo.append(edit)
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        edit = self._redo.pop()
        for i, _ in sorted(edit.removed, key=lambda p: p[0], reverse=True):
            del self.strokes[i]
        self.strokes.extend(edit.added)
        if edit.picture is not None:
            self.picture = edit.picture[1]
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
        """No ink (a picture may be shown: see :attr:`is_blank`)."""
        return not self.strokes and not self._current

    @property
    def is_blank(self) -> bool:
        """Neither ink nor a picture."""
        return self.is_empty and self.picture is None


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
