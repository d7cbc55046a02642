"""The report's confusion matrix as a heat map, painted with Qt, and the report's colours.

Rows are the true digits, columns what was read (and blank). Hover a cell for its count; click it
to list its digits (:class:`~digitpad.gui.report_view.ReportView` does the listing)."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ..core.comparison import BLANK
from .panels import ACCENT, LABEL

BETTER, WORSE = "#2b8a3e", "#c92a2a"
TEXT = "#2b2f38"
MUTED = "#6b7280"
EMPTY_CELL = QColor("#f5f6f8")
COLUMN_NAMES = [str(d) for d in range(10)] + ["blank"]


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    t = min(1.0, max(0.0, float(t)))
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


def _luminance(c: QColor) -> float:
    """WCAG relative luminance."""
    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * linear(c.redF()) + 0.7152 * linear(c.greenF()) + 0.0722 * linear(c.blueF())


def _dark(c: QColor) -> bool:
    """White text reads better on ``c`` than the dark text colour (the higher contrast ratio wins)."""
    fill = _luminance(c) + 0.05
    return 1.05 / fill > fill / (_luminance(QColor(TEXT)) + 0.05)


class ConfusionMap(QWidget):
    """10 rows (true digit) x 10 or 11 columns (what was read; the 11th: blank), painted with Qt.

    Colour is the share of the row: the diagonal in blue, misreadings in orange on a root scale, so
    one digit in a thousand still shows. With a ``change`` matrix (``improvement`` per cell) the
    cells that improved are green and those that got worse red, by how much; the rest are grey.
    """

    cellClicked = Signal(int, int)  # true, read (10: blank)

    TOP, LEFT, RIGHT, BOTTOM = 40, 44, 8, 6

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMinimumSize(300, 290)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.counts = np.zeros((10, 10), np.int64)  # what the cells show
        self.before: np.ndarray | None = None  # A's counts, in the comparison form
        self.change: np.ndarray | None = None  # improvement per cell (+: better), comparison form only
        self.names = ("model",)
        self.selected: tuple[int, int] | None = None
        self.hovered: tuple[int, int] | None = None
        self.read_title = "read"
        self._colours: dict[tuple[int, int], QColor] = {}

    def sizeHint(self) -> QSize:
        return QSize(self.LEFT + self.RIGHT + 11 * 46, self.TOP + self.BOTTOM + 10 * 46)

    def set_data(self, counts: np.ndarray, names: tuple[str, ...], before: np.ndarray | None = None,
                 change: np.ndarray | None = None) -> None:
        self.counts = np.asarray(counts, np.int64)
        self.before = None if before is None else np.asarray(before, np.int64)
        self.change = None if change is None else np.asarray(change, np.int64)
        self.names = tuple(names)
        self.read_title = f"read by {names[-1]}" if len(names) > 1 else "read"
        self.selected = self.hovered = None
        self._colours = {(t, r): self._colour(t, r) for t in range(10) for r in range(self.columns)}
        self.update()

    @property
    def columns(self) -> int:
        return self.counts.shape[1]

    # geometry: square cells, as large as the widget allows, centred
    def _cell_size(self) -> float:
        return max(8.0, min((self.width() - self.LEFT - self.RIGHT) / self.columns,
                            (self.height() - self.TOP - self.BOTTOM) / 10))

    def _origin(self) -> QPointF:
        s = self._cell_size()
        spare = self.width() - self.LEFT - self.RIGHT - s * self.columns
        return QPointF(self.LEFT + max(0.0, spare / 2), self.TOP)

    def cell_rect(self, true: int, read: int) -> QRectF:
        read = 10 if read == BLANK else read
        s, o = self._cell_size(), self._origin()
        return QRectF(o.x() + read * s, o.y() + true * s, s, s)

    def cell_center(self, true: int, read: int) -> QPoint:
        """Where to click (in this widget's coordinates) to pick a cell."""
        return self.cell_rect(true, read).center().toPoint()

    def cell_at(self, pos) -> tuple[int, int] | None:
        """The (true, read) cell under a point of this widget, or None outside the grid."""
        s, o = self._cell_size(), self._origin()
        col, row = math.floor((pos.x() - o.x()) / s), math.floor((pos.y() - o.y()) / s)
        if 0 <= row < 10 and 0 <= col < self.columns:
            return row, col
        return None

    def state(self, true: int, read: int) -> str:
        """"better", "worse" or "same" (always "same" with one model)."""
        if self.change is None:
            return "same"
        v = int(self.change[true, 10 if read == BLANK else read])
        return "better" if v > 0 else "worse" if v < 0 else "same"

    def corner_text(self, true: int, read: int) -> str:
        """The change in a cell's count, with ▲ (better) or ▼ (worse): said without colour too."""
        if self.before is None:
            return ""
        read = 10 if read == BLANK else read
        d = int(self.counts[true, read]) - int(self.before[true, read])
        if not d:
            return ""
        return f"{'+' if d > 0 else '−'}{abs(d)}{'▲' if self.state(true, read) == 'better' else '▼'}"

    def colour(self, true: int, read: int) -> QColor:
        return QColor(self._colours.get((true, 10 if read == BLANK else read), EMPTY_CELL))

    def hover_text(self, true: int, read: int) -> str:
        read = 10 if read == BLANK else read
        n = int(self.counts[true, read])
        what = "blank" if read == 10 else f"read {read}"
        text = f"true {true}, {what}: {n} digit{'' if n == 1 else 's'}"
        row = int(self.counts[true].sum())
        if row:
            text += f" ({n / row * 100:.1f}% of the {true}s)" if self.before is None else ""
        if self.before is not None:
            text += f" ({self.names[0]}: {int(self.before[true, read])})"
            state = self.state(true, read)
            if state != "same":
                text += f" — {state}"
        return text

    def _colour(self, t: int, r: int) -> QColor:
        n = int(self.counts[t, r])
        row = max(1, int(self.counts[t].sum()))
        share = n / row
        if self.change is not None:
            imp = int(self.change[t, r])
            if imp:
                top = max(1, int(np.abs(self.change).max()))
                strength = 0.3 + 0.7 * math.sqrt(abs(imp) / top)
                light, full = (QColor("#d3f9d8"), QColor(BETTER)) if imp > 0 else (QColor("#ffe3e3"), QColor(WORSE))
                return _mix(light, full, strength)
            if n == 0:
                return EMPTY_CELL
            base = QColor("#c5d3ea") if t == r else QColor("#cfd3da")
            return _mix(QColor("#eef0f4"), base, share if t == r else math.sqrt(min(1.0, share / 0.2)))
        if n == 0:
            return EMPTY_CELL
        if t == r:
            return _mix(QColor("#dbe7fd"), QColor(ACCENT).darker(115), share)
        return _mix(QColor("#fff0e0"), QColor("#e8590c"), math.sqrt(min(1.0, share / 0.2)))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.TextAntialiasing)
        s, o = self._cell_size(), self._origin()
        cols = self.columns
        base = QFont(self.font())
        # axis titles and digit labels
        label_font = QFont(base)
        label_font.setPixelSize(max(10, min(14, int(s * 0.34))))
        title_font = QFont(base)
        title_font.setPixelSize(12)
        p.setPen(QColor(MUTED))
        p.setFont(title_font)
        p.drawText(QRectF(o.x(), 0, s * cols, 18), Qt.AlignCenter, f"{self.read_title} →")
        p.save()
        p.translate(max(12.0, o.x() - 32), o.y() + 5 * s)
        p.rotate(-90)
        p.drawText(QRectF(-5 * s, -10, 10 * s, 20), Qt.AlignCenter, "true digit →")
        p.restore()
        p.setFont(label_font)
        p.setPen(QColor(LABEL))
        for c in range(cols):
            name = COLUMN_NAMES[c] if s >= 34 or c < 10 else "∅"
            p.drawText(QRectF(o.x() + c * s, 18, s, self.TOP - 20), Qt.AlignCenter, name)
        for r in range(10):
            p.drawText(QRectF(22, o.y() + r * s, o.x() - 26, s), Qt.AlignRight | Qt.AlignVCenter, str(r))
        # cells
        big = max(self.counts.max() if self.counts.size else 0, 1)
        count_font = QFont(base)
        count_font.setPixelSize(max(8, min(15, int(s * 0.30))))
        fits = QFontMetrics(count_font).horizontalAdvance(str(big)) < s - 4  # else the counts are on hover only
        small = QFont(base)
        small.setPixelSize(max(8, min(11, int(s * 0.22))))
        gap = 1.0 if s >= 20 else 0.5
        for t in range(10):
            for c in range(cols):
                rect = self.cell_rect(t, c).adjusted(gap, gap, -gap, -gap)
                colour = self._colours.get((t, c), EMPTY_CELL)
                p.setPen(Qt.NoPen)
                p.setBrush(colour)
                p.drawRoundedRect(rect, 3, 3)
                n = int(self.counts[t, c])
                ink = QColor("#ffffff") if _dark(colour) else QColor(TEXT)
                changed = self.change is not None and self.change[t, c] != 0
                if fits and (n or t == c or changed):
                    p.setFont(count_font)
                    p.setPen(ink)
                    p.drawText(rect, Qt.AlignCenter, str(n))
                if self.before is not None and s >= 40:
                    text = self.corner_text(t, c)
                    if text:
                        p.setFont(small)
                        p.setPen(ink)
                        p.drawText(rect.adjusted(2, 1, -3, -1), Qt.AlignRight | Qt.AlignTop, text)
        if cols == 11:  # the blank column is apart from the digits
            x = o.x() + 10 * s
            p.setPen(QPen(QColor("#9aa1ad"), 1, Qt.DashLine))
            p.drawLine(QPointF(x, o.y() - 2), QPointF(x, o.y() + 10 * s + 2))
        for which, pen in ((self.hovered, QPen(QColor("#5c6370"), 1.2)), (self.selected, QPen(QColor("#111827"), 2.4))):
            if which is not None:
                p.setPen(pen)
                p.setBrush(Qt.NoBrush)
                p.drawRoundedRect(self.cell_rect(*which).adjusted(1, 1, -1, -1), 3, 3)
        p.end()

    def mouseMoveEvent(self, event) -> None:
        where = self.cell_at(event.position())
        if where != self.hovered:
            self.hovered = where
            self.update()
        if where is None:
            QToolTip.hideText()
            self.setToolTip("")
        else:
            text = self.hover_text(*where)
            self.setToolTip(text)
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        self.hovered = None
        self.update()
        super().leaveEvent(event)

    def keyPressEvent(self, event) -> None:
        """The arrow keys move the selection from cell to cell (and list its digits)."""
        step = {Qt.Key_Left: (0, -1), Qt.Key_Right: (0, 1), Qt.Key_Up: (-1, 0), Qt.Key_Down: (1, 0)}.get(event.key())
        if step is None:
            super().keyPressEvent(event)
            return
        t, r = self.selected or (0, 0)
        self.cellClicked.emit(min(9, max(0, t + step[0])), min(self.columns - 1, max(0, r + step[1])))

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            where = self.cell_at(event.position())
            if where is not None:
                self.cellClicked.emit(*where)
                event.accept()
                return
        super().mousePressEvent(event)
