"""The drawing surface: mouse and tablet strokes into an :class:`InkDocument`, painted with
anti-aliased round-capped lines. Light or dark look; the model sees the same ink either way.

A fresh drawing's coordinates are the canvas's pixels. Once there is ink, the view fits it: a
window made smaller, or an ink opened from a canvas of another size, shows the whole drawing
scaled into the canvas, so no ink the model reads is ever out of sight."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPainterPath, QPen, QTabletEvent, QTransform
from PySide6.QtWidgets import QSizePolicy, QWidget
from pyqtgraph.functions import arrayToQPath

from ..core.ink import Ink, pressure_width
from ..core.ink_editing import InkDocument
from ..core.spline import smooth_stroke

SCREEN_STEP_PX = 3.0  # longest straight piece of a stroke on screen
THEMES = {True: (QColor("#1e2127"), QColor("#f5f5f5"), QColor("#3a3f4b")),  # background, ink, guide
          False: (QColor("#fbfbf8"), QColor("#1b1b1b"), QColor("#dcdcd6"))}


class InkCanvas(QWidget):
    inkChanged = Signal()  # any change, including every point of a stroke being drawn
    strokeFinished = Signal()
    historyChanged = Signal()

    def __init__(self, parent: QWidget | None = None, brush: float = 18.0, dark: bool = True):
        super().__init__(parent)
        self.setMinimumSize(280, 280)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setAttribute(Qt.WA_OpaquePaintEvent)
        self.setCursor(Qt.CrossCursor)
        # a click takes the focus from a spin box (digits typed next are not thresholds); Tab passes
        # by: there is nothing to do here with keys but the window's shortcuts
        self.setFocusPolicy(Qt.ClickFocus)
        self.document = InkDocument(400, 400, brush)
        self.brush = brush
        self.dark = dark
        self.eraser = False
        self._qimage: tuple[np.ndarray, QImage] | None = None  # the shown picture, converted once
        self._tablet_down = False
        self.overlay = None  # number mode (gui/number_view.py): paints digit boxes over the ink, takes clicks on them
        self._curves: dict[tuple, tuple[np.ndarray, QPainterPath]] = {}  # stroke's points -> its curve, painted last time
        self.view = QTransform()  # ink coordinates -> the widget's (see the module's docstring)

    # -- state ----------------------------------------------------------------------------
    def set_brush(self, width: float) -> None:
        self.brush = float(width)
        self.document.pen_width = self._ink_length(self.brush)
        self.update()

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        self.update()

    def set_eraser(self, on: bool) -> None:
        self.eraser = on
        self.setCursor(Qt.PointingHandCursor if on else Qt.CrossCursor)

    def snapshot(self) -> Ink:
        return self.document.snapshot()

    @property
    def image(self) -> np.ndarray | None:
        """The picture being recognised instead of a drawing (the document keeps it, with its undo)."""
        return self.document.picture

    def is_empty(self) -> bool:
        return self.document.is_blank

    def show_image(self, image: np.ndarray) -> None:
        """Show a picture to recognise, as an undoable step; drawing over it starts a new drawing."""
        self.document.show_picture(image)
        self._changed(history=True)

    def load_ink(self, ink: Ink) -> None:
        self.document.replace(ink)
        self._fit_view()
        self._changed(history=True)

    def clear(self) -> None:
        if self.document.clear():
            self._changed(history=True)

    def reset(self) -> None:
        """Empty canvas with no undo history."""
        self.document = InkDocument(self.document.width, self.document.height, self.brush)
        self._changed(history=True)

    def undo(self) -> None:
        if self.document.undo():
            self._changed(history=True)

    def redo(self) -> None:
        if self.document.redo():
            self._changed(history=True)

    def _changed(self, history: bool = False) -> None:
        if history and not self._shows_all_ink():
            self._fit_view()  # undo brought back ink drawn at another size of the window
        self.update()
        self.inkChanged.emit()
        if history:
            self.historyChanged.emit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self.document.drawing:
            self._fit_view()

    # -- the view -----------------------------------------------------------------------------
    def _fit_view(self) -> None:
        """An empty canvas takes the widget's size and draws 1:1; ink is shown whole: its canvas
        (and any ink beyond it) scaled to fit the widget, centred."""
        doc, w, h = self.document, max(1, self.width()), max(1, self.height())
        pts = doc.snapshot().points()
        if not len(pts):
            doc.width, doc.height = float(w), float(h)
            self.view = QTransform()
            return
        pad = (doc.pen_width or self.brush) / 2
        x0, y0 = min(0.0, float(pts[:, 0].min()) - pad), min(0.0, float(pts[:, 1].min()) - pad)
        x1, y1 = max(doc.width, float(pts[:, 0].max()) + pad), max(doc.height, float(pts[:, 1].max()) + pad)
        scale = min(w / max(x1 - x0, 1e-6), h / max(y1 - y0, 1e-6))
        self.view = QTransform(scale, 0, 0, scale, (w - scale * (x1 + x0)) / 2, (h - scale * (y1 + y0)) / 2)

    def _shows_all_ink(self) -> bool:
        pts = self.document.snapshot().points()
        if not len(pts):
            return self.view.isIdentity()
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        seen = self.view.mapRect(QRectF(QPointF(x0, y0), QPointF(x1, y1)))
        return QRectF(self.rect()).adjusted(-0.5, -0.5, 0.5, 0.5).contains(seen)

    @property
    def scale(self) -> float:
        """Widget pixels per ink unit."""
        return self.view.m11()

    def _ink_length(self, pixels: float) -> float:
        return pixels / self.scale

    def _to_ink(self, pos: QPointF) -> QPointF:
        return self.view.inverted()[0].map(pos)

    # -- pointer input ------------------------------------------------------------------------
    def _press(self, pos: QPointF, pressure: float) -> None:
        if self.overlay is not None and self.overlay.press(pos):  # a digit's tab: select it, draw nothing
            return
        pos = self._to_ink(pos)
        if self.eraser:
            if self.document.erase_at(pos.x(), pos.y(), self._ink_length(self.brush)):
                self._changed(history=True)
            return
        self.document.pen_width = self._ink_length(self.brush)
        self.document.begin_stroke(pos.x(), pos.y(), pressure)
        self._changed()

    def _move(self, pos: QPointF, pressure: float) -> None:
        pos = self._to_ink(pos)
        if self.eraser:
            if self.document.erase_at(pos.x(), pos.y(), self._ink_length(self.brush)):
                self._changed(history=True)
            return
        if self.document.drawing:
            self.document.extend_stroke(pos.x(), pos.y(), pressure)
            self._changed()

    def _release(self) -> None:
        if self.document.end_stroke():
            self._changed(history=True)
            self.strokeFinished.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.LeftButton and not self._tablet_down:
            self._press(event.position(), 1.0)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.LeftButton and not self._tablet_down:
            self._move(event.position(), 1.0)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.LeftButton and not self._tablet_down:
            self._release()

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        pressure = float(event.pressure())
        if kind == QTabletEvent.TabletPress:
            self._tablet_down = True
            self._press(event.position(), pressure)
        elif kind == QTabletEvent.TabletMove and self._tablet_down:
            self._move(event.position(), pressure)
        elif kind == QTabletEvent.TabletRelease:
            self._tablet_down = False
            self._release()
        event.accept()  # no synthesised mouse events: they would draw the stroke twice

    # -- painting -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        background, ink_color, guide = THEMES[self.dark]
        p = QPainter(self)
        p.fillRect(self.rect(), background)
        p.setRenderHint(QPainter.Antialiasing)
        if self.image is not None:
            img = self._picture_qimage()
            scale = min(self.width() / img.width(), self.height() / img.height()) * 0.9
            w, h = img.width() * scale, img.height() * scale
            p.drawImage(QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h), img)
            p.end()
            return
        if self.document.is_empty:
            p.setPen(QPen(guide, 1, Qt.DashLine))
            m = min(self.width(), self.height()) * 0.18
            p.drawRect(QRectF(m, m, self.width() - 2 * m, self.height() - 2 * m))
            p.setPen(guide.lighter(160) if self.dark else guide.darker(160))
            p.drawText(self.rect(), Qt.AlignCenter, "Draw a digit")
        curves, self._curves = self._curves, {}
        p.setTransform(self.view)  # pens scale with it: a stroke keeps its width relative to the ink
        for stroke in self.document.snapshot().strokes:
            self._paint_stroke(p, stroke, ink_color, curves)
        p.resetTransform()
        if self.overlay is not None:
            self.overlay.paint(p)
        p.end()

    def _picture_qimage(self) -> QImage:
        from .imaging import to_qimage

        if self._qimage is None or self._qimage[0] is not self.image:
            self._qimage = (self.image, to_qimage(self.image))
        return self._qimage[1]

    def _paint_stroke(self, p: QPainter, stroke: np.ndarray, color: QColor,
                      curves: dict[tuple, tuple[np.ndarray, QPainterPath]]) -> None:
        pen_width = self.document.pen_width or self.brush
        pen = QPen(color, pen_width, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
        if len(stroke) == 1:
            p.setPen(Qt.NoPen)
            p.setBrush(color)
            r = pressure_width(pen_width, stroke[0, 2] if stroke.shape[1] > 2 else 1.0) / 2
            p.drawEllipse(QPointF(stroke[0, 0], stroke[0, 1]), r, r)
            p.setBrush(Qt.NoBrush)
            return
        # Every change repaints the whole ink, while the worker reads it for the same interpreter:
        # a stroke's curve is made once (by content, so an edited stroke is made anew) and kept
        # while it is on the canvas, and made in numpy, not point by point.
        key = (stroke.shape, stroke.tobytes())
        found = curves.get(key)
        if found is None:
            # Fast strokes arrive as a few far-apart points: draw the curve through them that the
            # model input is rendered from, not a polygon.
            curve = smooth_stroke(stroke, SCREEN_STEP_PX)
            found = (curve, arrayToQPath(curve[:, 0], curve[:, 1], connect="all"))
        self._curves[key] = found
        stroke, path = found
        pressures = stroke[:, 2] if stroke.shape[1] > 2 else None
        if pressures is None or np.allclose(pressures, pressures[0]):
            pen.setWidthF(pressure_width(pen_width, 1.0 if pressures is None else pressures[0]))
            p.setPen(pen)
            p.drawPath(path)
            return
        for i in range(len(stroke) - 1):  # pressure changes the width along the stroke
            pen.setWidthF(pressure_width(pen_width, (pressures[i] + pressures[i + 1]) / 2))
            p.setPen(pen)
            p.drawLine(QPointF(*stroke[i, :2]), QPointF(*stroke[i + 1, :2]))
