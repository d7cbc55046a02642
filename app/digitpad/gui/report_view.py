"""The report view: how one model reads a labelled set, or how two readings of it differ.

One widget serves Model > Evaluate… (one model), the fine-tuning result (before / after) and
Compare With… (model A / model B): per-class accuracy bars, the confusion matrix as a heat map
(hover a cell for its count, click it to list its digits as thumbnails), and in the comparison
form the cells that improved (green) or got worse (red), the digits fixed and broken, and
McNemar's test. :class:`ReportDialog` wraps it with PNG and JSON export. The heat map is
:mod:`~digitpad.gui.confusion_map`'s.
"""
from __future__ import annotations

import html
import json
import math
import os
import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCursor, QIcon, QPixmap
from PySide6.QtWidgets import (QDialog, QFrame, QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem,
                               QMessageBox, QPushButton, QScrollArea, QSizePolicy, QSplitter, QTabWidget,
                               QToolTip, QVBoxLayout, QWidget)

from ..core.atomic_file import atomic_path, write_text
from ..core.comparison import BLANK, Comparison, cell, improvements
from ..core.errors import WriteError
from ..core.metrics import Scores, score
from .confusion_map import BETTER, COLUMN_NAMES, MUTED, TEXT, WORSE, ConfusionMap
from .imaging import to_qimage
from .panels import ACCENT, BAR, LABEL

MAX_LISTED = 200  # thumbnails in one list; the rest are counted
THUMBNAIL = 56  # px: a 28x28 digit at twice its size
GRID = QSize(100, THUMBNAIL + 44)  # room for a thumbnail and a two-line caption


def _read_name(v: int) -> str:
    return "blank" if v < 0 or v == 10 else str(int(v))


def _points(x: float) -> str:
    return f"{'+' if x > 0 else '−' if x < 0 else '±'}{abs(x):.2f} points"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "report"


def _plain(value):
    """JSON-safe: numpy scalars and arrays as Python values, NaN as null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


# -- per-class accuracy --------------------------------------------------------------------------
class ClassAccuracyChart(pg.PlotWidget):
    """Per-class accuracy: one bar per digit, or two side by side (A grey, B blue) with B's change
    written above each pair. The axis starts where the worst digit leaves room (it says so)."""

    def __init__(self, parent=None):
        super().__init__(parent, background=None)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        plot = self.getPlotItem()
        plot.setXRange(-0.6, 9.6, padding=0)
        plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        plot.getAxis("bottom").setLabel("true digit", color=MUTED)
        plot.showGrid(y=True, alpha=0.15)
        self.series: list[pg.BarGraphItem] = []
        self.labels: list[pg.TextItem] = []
        self.values = np.zeros((1, 10))
        self.names: tuple[str, ...] = ()
        self.floor = 0.0
        self.scene().sigMouseMoved.connect(self._hover)

    def sizeHint(self) -> QSize:
        return QSize(480, 190)

    def show_scores(self, per_class: list[np.ndarray], names: tuple[str, ...]) -> None:
        plot = self.getPlotItem()
        for item in self.series + self.labels:
            plot.removeItem(item)
        self.series, self.labels = [], []
        self.values = np.array([np.asarray(v, float) for v in per_class])
        self.names = tuple(names)
        known = self.values[~np.isnan(self.values)]
        worst = float(known.min()) if known.size else 0.0
        self.floor = 0.0 if worst < 0.5 else round(math.floor((worst - 0.01) * 10) / 10, 1)
        span = 1.0 - self.floor
        top = 1.0 + span * 0.2  # room for the labels above the bars
        plot.setYRange(self.floor - span * 0.03, top, padding=0)  # room for the lowest tick's label
        ticks = [self.floor + span * f for f in (0, 0.5, 1.0)]
        whole = all(abs(v * 100 - round(v * 100)) < 1e-6 for v in ticks)
        plot.getAxis("left").setTicks([[(v, f"{v * 100:.0f}%" if whole else f"{v * 100:.1f}%") for v in ticks]])
        two = len(self.values) == 2
        width = 0.38 if two else 0.66
        colours = [BAR, ACCENT] if two else [ACCENT]
        x = np.arange(10, dtype=float)
        for k, (values, colour) in enumerate(zip(self.values, colours)):
            heights = np.where(np.isnan(values), 0, values - self.floor)
            offset = (k - 0.5) * width if two else 0.0
            bars = pg.BarGraphItem(x=x + offset, y0=np.full(10, self.floor), height=heights, width=width * 0.92,
                                   brush=pg.mkBrush(colour), pen=pg.mkPen(None))
            plot.addItem(bars)
            self.series.append(bars)
        for i in range(10):
            if two:
                a, b = self.values[:, i]
                if np.isnan(a) or np.isnan(b):
                    text, colour = "n/a", MUTED
                else:
                    d = (b - a) * 100
                    text = "±0" if abs(d) < 0.05 else f"{'+' if d > 0 else '−'}{abs(d):.1f}"
                    colour = BETTER if d >= 0.05 else WORSE if d <= -0.05 else MUTED
                y = np.nanmax(self.values[:, i]) if not np.all(np.isnan(self.values[:, i])) else self.floor
            else:
                v = self.values[0, i]
                text, colour = ("n/a", MUTED) if np.isnan(v) else (f"{v * 100:.1f}", LABEL)
                y = self.floor if np.isnan(v) else v
            label = pg.TextItem(text, anchor=(0.5, 1.0), color=colour)
            label.setPos(i, max(y, self.floor) + span * 0.01)
            plot.addItem(label)
            self.labels.append(label)

    def legend_html(self) -> str:
        """Which colour is which model, and where the axis starts (shown under the chart's title)."""
        parts = []
        if len(self.names) == 2:
            a, b = (html.escape(n) for n in self.names)
            parts += [f"<span style='color:{BAR}'>■</span>&nbsp;{a}", f"<span style='color:{ACCENT}'>■</span>&nbsp;{b}",
                      "above&nbsp;each&nbsp;pair:&nbsp;the&nbsp;change&nbsp;in&nbsp;points"]
        if self.floor > 0:
            parts.append(f"the&nbsp;axis&nbsp;starts&nbsp;at&nbsp;{self.floor * 100:.0f}%")
        return " &nbsp;·&nbsp; ".join(parts)

    def text_for(self, digit: int) -> str:
        parts = []
        for name, values in zip(self.names, self.values):
            v = values[digit]
            parts.append(f"{name}: {'n/a' if np.isnan(v) else f'{v * 100:.2f}%'}")
        return f"digit {digit}: " + ", ".join(parts)

    def _hover(self, scene_pos) -> None:
        if not self.values.size or not self.names:
            return
        x = self.getPlotItem().vb.mapSceneToView(scene_pos).x()
        digit = int(round(x))
        if 0 <= digit <= 9 and abs(x - digit) < 0.45:
            text = self.text_for(digit)
            self.setToolTip(text)
            QToolTip.showText(QCursor.pos(), text, self)
        else:
            self.setToolTip("")
            QToolTip.hideText()


# -- lists of digits -------------------------------------------------------------------------------
class DigitList(QListWidget):
    """Thumbnails (or text only, without images) with a caption each, in a grid that fills the width."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.IconMode)
        self.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.setResizeMode(QListView.Adjust)
        self.setMovement(QListView.Static)
        # not setUniformItemSizes: it keeps the first size it measured, and a list refilled after
        # a text-only line showed every thumbnail 14 px high
        self.setWordWrap(True)
        self.setSpacing(2)
        self.setGridSize(GRID)
        self.setSelectionMode(QListWidget.ExtendedSelection)
        self.setStyleSheet("QListWidget { background: #f4f5f7; border: 1px solid #dde0e6; border-radius: 4px; }")
        self.indices = np.zeros(0, np.int64)  # every digit of the list, shown or not
        self.more = 0
        self._cell_width = GRID.width()  # the widest caption's need

    def fill(self, indices: np.ndarray, caption, tooltip, icon) -> None:
        self.clear()
        self.indices = np.asarray(indices, np.int64)
        shown = self.indices[:MAX_LISTED]
        texts = [caption(int(i)) for i in shown]
        metrics = self.fontMetrics()
        self._cell_width = max([GRID.width()] + [metrics.horizontalAdvance(t) + 14 for t in texts])
        self._fit_grid(GRID.height() if icon is not None else 30)
        for i, text in zip(shown, texts):
            item = QListWidgetItem(text)
            if icon is not None:
                item.setIcon(icon(int(i)))
            item.setToolTip(tooltip(int(i)))
            item.setData(Qt.UserRole, int(i))
            item.setTextAlignment(Qt.AlignHCenter | Qt.AlignTop)
            self.addItem(item)
        self.more = len(self.indices) - len(shown)
        if self.more:
            item = QListWidgetItem(f"and {self.more:,} more")
            item.setFlags(Qt.NoItemFlags)
            item.setTextAlignment(Qt.AlignCenter)
            self.addItem(item)

    def captions(self) -> list[str]:
        """The captions of the digits listed (not the "and N more" line)."""
        return [self.item(r).text() for r in range(self.count()) if self.item(r).data(Qt.UserRole) is not None]

    def listed(self) -> list[int]:
        """The indices of the digits listed, in order."""
        return [int(self.item(r).data(Qt.UserRole)) for r in range(self.count())
                if self.item(r).data(Qt.UserRole) is not None]

    def _fit_grid(self, height: int) -> None:
        """Columns as wide as the widest caption (one line each), spread over the list's width."""
        need = self._cell_width
        width = self.viewport().width() - 4
        columns = max(1, width // need)
        self.setGridSize(QSize(max(need, width // columns), height))

    def resizeEvent(self, event) -> None:
        self._fit_grid(self.gridSize().height())
        super().resizeEvent(event)


def _list_page(header: QLabel, listing: DigitList) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.setSpacing(4)
    header.setWordWrap(True)
    header.setTextFormat(Qt.RichText)
    header.setStyleSheet(f"color: {LABEL};")
    layout.addWidget(header)
    layout.addWidget(listing, 1)
    return page


class _FillLayout(QVBoxLayout):
    """A column that fills whatever height it is given: no height-for-width (the word-wrapped
    labels would make a scroll area size the view to its preferred, taller height)."""

    def hasHeightForWidth(self) -> bool:
        return False


# -- the report ------------------------------------------------------------------------------------
class ReportView(QWidget):
    """One model's reading of a labelled set (:meth:`show_evaluation`) or two readings of it
    (:meth:`show_comparison`). Exported with :meth:`export_png` and :meth:`export_json`."""

    cellSelected = Signal(int, int)  # true, read (10: blank)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = ""
        self.kind = "evaluation"
        self.labels = np.zeros(0, np.int64)
        self.reads: list[np.ndarray] = []
        self.names: tuple[str, ...] = ("model",)
        self.scores: list[Scores] = []
        self.comparison: Comparison | None = None
        self.images: np.ndarray | None = None
        self.ids: np.ndarray | None = None
        self.cell_counts = np.zeros((10, 10), np.int64)  # the counts the heat map shows (B's, comparing)
        self.change: np.ndarray | None = None  # per cell, improvement of B on A (comparison form)
        self.selected_cell: tuple[int, int] | None = None
        self._icons: dict[int, QIcon] = {}

        self.heading = QLabel("")
        self.heading.setStyleSheet(f"font-size: 17px; font-weight: 600; color: {TEXT};")
        self.heading.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.RichText)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary.setStyleSheet(f"color: {TEXT}; font-size: 13px;")

        self.heatmap = ConfusionMap()
        self.heatmap.cellClicked.connect(self.select_cell)
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.RichText)
        self.legend.setStyleSheet(f"color: {MUTED}; font-size: 12px;")
        self.map_title = QLabel("Confusion matrix")
        self.bars_title = QLabel("Per-class accuracy")
        for label in (self.map_title, self.bars_title):
            label.setStyleSheet(f"font-weight: 600; color: {TEXT}; font-size: 13px;")
        self.bars = ClassAccuracyChart()
        self.bars_legend = QLabel("")
        self.bars_legend.setTextFormat(Qt.RichText)
        self.bars_legend.setStyleSheet(f"color: {LABEL}; font-size: 12px;")
        self.bars_legend.setWordWrap(True)  # long model names take two lines rather than widen the view

        self.cell_header = QLabel("")
        self.cell_list = DigitList()
        self.fixed_header = QLabel("")
        self.fixed_list = DigitList()
        self.broken_header = QLabel("")
        self.broken_list = DigitList()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.cell_tab = self.tabs.addTab(_list_page(self.cell_header, self.cell_list), "Cell")
        self.fixed_tab = self.tabs.addTab(_list_page(self.fixed_header, self.fixed_list), "Fixed")
        self.broken_tab = self.tabs.addTab(_list_page(self.broken_header, self.broken_list), "Broken")

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 6, 0)
        lv.addWidget(self.map_title)
        lv.addWidget(self.heatmap, 1)
        lv.addWidget(self.legend)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(6, 0, 0, 0)
        rv.addWidget(self.bars_title)
        rv.addWidget(self.bars_legend)
        rv.addWidget(self.bars, 0)
        rv.addSpacing(4)
        rv.addWidget(self.tabs, 1)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        left.setMinimumWidth(330)
        right.setMinimumWidth(360)
        layout = _FillLayout(self)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(6)
        layout.addWidget(self.heading)
        layout.addWidget(self.summary)
        rule = QFrame()
        rule.setFrameShape(QFrame.HLine)
        rule.setStyleSheet("color: #dde0e6;")
        layout.addWidget(rule)
        layout.addWidget(self.splitter, 1)
        self.setMinimumSize(760, 520)

    # -- filling -------------------------------------------------------------------------------
    def show_evaluation(self, title: str, labels, predicted, images=None, name: str = "model", ids=None) -> None:
        """One model on a labelled set; ``predicted`` holds -1 (``BLANK``) for a blank input.
        ``ids``: the numbers to show for the digits (default: their positions)."""
        labels = np.asarray(labels, np.int64).reshape(-1)
        predicted = np.asarray(predicted, np.int64).reshape(-1)
        if len(labels) != len(predicted):
            raise ValueError("labels and predictions must have the same length")
        self.kind, self.comparison = "evaluation", None
        self._set_data(title, labels, [predicted], (name,), images, ids)

    def show_comparison(self, title: str, comparison: Comparison, images=None, ids=None) -> None:
        """Two readings of the same digits: before / after, or model A / model B."""
        self.kind, self.comparison = "comparison", comparison
        self._set_data(title, comparison.labels, [comparison.a, comparison.b], tuple(comparison.names), images, ids)

    def _set_data(self, title, labels, reads, names, images, ids) -> None:
        if images is not None:
            images = np.asarray(images)
            if len(images) != len(labels):
                raise ValueError(f"{len(images)} images for {len(labels)} labels")
        self.title, self.labels, self.reads, self.names = title, labels, reads, names
        self.images = images
        self.ids = None if ids is None else np.asarray(ids).reshape(-1)
        self._icons.clear()
        self.scores = [score(labels, r) for r in reads]
        blank = any(s.confusion[:, 10].any() for s in self.scores)
        cols = 11 if blank else 10
        self.cell_counts = self.scores[-1].confusion[:, :cols].copy()
        two = self.kind == "comparison"
        if two:
            self.change = improvements(self.comparison.delta(), cols)
            self.heatmap.set_data(self.cell_counts, names, self.scores[0].confusion[:, :cols], self.change)
        else:
            self.change = None
            self.heatmap.set_data(self.cell_counts, names)
        self.heading.setText(title)
        self.summary.setText(self._summary_html())
        self.legend.setText(self._legend_html())
        self.bars.show_scores([s.per_class for s in self.scores], names)
        self.bars_legend.setText(self.bars.legend_html())
        self.map_title.setText("Confusion matrix")
        self.tabs.setTabVisible(self.fixed_tab, two)
        self.tabs.setTabVisible(self.broken_tab, two)
        if two:
            a, b = self._letters()
            fixed, broken = self.comparison.fixed, self.comparison.broken
            self.tabs.setTabText(self.fixed_tab, f"Fixed ({len(fixed):,})")
            self.tabs.setTabText(self.broken_tab, f"Broken ({len(broken):,})")
            na, nb = (html.escape(n) for n in names)
            key = html.escape(self._key())
            self.fixed_header.setText(f"<b>{len(fixed):,} digit{'' if len(fixed) == 1 else 's'} fixed</b>: "
                                      f"{na} misread {'it' if len(fixed) == 1 else 'them'}, {nb} reads "
                                      f"{'it' if len(fixed) == 1 else 'them'} right. Captions: {key}")
            self.broken_header.setText(f"<b>{len(broken):,} digit{'' if len(broken) == 1 else 's'} broken</b>: "
                                       f"{na} read {'it' if len(broken) == 1 else 'them'} right, {nb} misreads "
                                       f"{'it' if len(broken) == 1 else 'them'}. Captions: {key}")
            self._fill(self.fixed_list, fixed)
            self._fill(self.broken_list, broken)
        else:
            self.fixed_list.fill([], str, str, None)
            self.broken_list.fill([], str, str, None)
        worst = self._worst_cell()
        if worst is None:
            self.selected_cell = None
            self.heatmap.selected = None
            self.cell_list.fill([], str, str, None)
            self.tabs.setTabText(self.cell_tab, "Cell")
            self.cell_header.setText("No digit is misread. Click a cell of the map to list its digits.")
            self.heatmap.update()
        else:
            self.select_cell(*worst, note="the most frequent misreading; click a cell of the map to list its digits")
        self.tabs.setCurrentIndex(self.cell_tab)

    def _worst_cell(self) -> tuple[int, int] | None:
        off = self.cell_counts.copy()
        np.fill_diagonal(off[:, :10], 0)
        if not off.any():
            return None
        t, r = np.unravel_index(int(np.argmax(off)), off.shape)
        return int(t), int(r)

    # -- words ---------------------------------------------------------------------------------
    def _letters(self) -> tuple[str, str]:
        return ("A", "B")

    def _key(self) -> str:
        return f"A = {self.names[0]}, B = {self.names[1]}." if len(self.names) == 2 else ""

    def _summary_html(self) -> str:
        names = [html.escape(n) for n in self.names]
        s = self.scores[-1]
        n = s.count
        if n == 0:
            return f"<b>{names[-1]}</b>: no digits to score."
        if self.kind == "evaluation":
            wrong = n - int(np.trace(s.confusion[:, :10]))
            blank = int(s.confusion[:, 10].sum())
            known = [(v, d) for d, v in enumerate(s.per_class) if not np.isnan(v)]
            hardest = min(known) if known else None
            text = (f"<b>{names[0]}</b>: accuracy <b>{s.accuracy * 100:.2f}%</b> on {n:,} digits — "
                    f"{wrong:,} misread" + (f" ({blank:,} of them blank)" if blank else ""))
            if hardest is not None and wrong:
                text += f"; hardest digit: {hardest[1]} ({hardest[0] * 100:.1f}%)"
            return text + "."
        a, b = self.scores
        c = self.comparison
        d = (b.accuracy - a.accuracy) * 100
        colour = BETTER if d > 0 else WORSE if d < 0 else MUTED
        fixed, broken = len(c.fixed), len(c.broken)
        both_wrong = int(np.sum((c.a != c.b) & (c.a != c.labels) & (c.b != c.labels)))
        first = (f"<b>{names[0]}</b> {a.accuracy * 100:.2f}% → <b>{names[1]}</b> "
                 f"{b.accuracy * 100:.2f}%: <b style='color:{colour}'>{_points(d)}</b> on {n:,} digits · "
                 f"<span style='color:{BETTER if fixed else MUTED}'>{fixed:,} fixed</span>, "
                 f"<span style='color:{WORSE if broken else MUTED}'>{broken:,} broken</span>")
        if both_wrong:
            first += f", {both_wrong:,} misread differently by both"
        return first + f".<br><span style='color:{LABEL}'>{html.escape(c.test().sentence(*self.names))}.</span>"

    def _legend_html(self) -> str:
        blank = " The last column counts blank inputs." if self.cell_counts.shape[1] == 11 else ""
        if self.kind == "evaluation":
            return (f"Rows: the true digit; columns: what was read. Colour: the share of the row "
                    f"(<span style='color:{ACCENT}'>■</span> right, <span style='color:#e8590c'>■</span> misread)."
                    f"{blank} Hover a cell for its count; click it to list its digits.")
        a, b = (html.escape(n) for n in self.names)
        return (f"Counts are {b}'s; the corner number is the change from {a}. "
                f"<span style='color:{BETTER}'>■ ▲ better</span> "
                "(more right on the diagonal, fewer misread off it), "
                f"<span style='color:{WORSE}'>■ ▼ worse</span>, grey: unchanged.{blank} "
                "Hover a cell for both counts; click it to list its digits.")

    def _id(self, i: int) -> str:
        return f"#{int(self.ids[i]) if self.ids is not None else i}"

    def caption(self, i: int) -> str:
        """A listed digit's caption: "#123: read 9", or "#123: A 9, B 4" comparing."""
        if self.kind == "comparison":
            return f"{self._id(i)}: A {_read_name(self.reads[0][i])}, B {_read_name(self.reads[1][i])}"
        return f"{self._id(i)}: read {_read_name(self.reads[0][i])}"

    def _tooltip(self, i: int) -> str:
        readings = "; ".join(f"{name} read {_read_name(r[i])}" for name, r in zip(self.names, self.reads))
        return f"{self._id(i)}, labelled {int(self.labels[i])}: {readings}"

    def _icon(self, i: int) -> QIcon:
        icon = self._icons.get(i)
        if icon is None:
            img = np.asarray(self.images[i])
            if img.dtype != np.uint8:
                img = np.clip(img * (255 if img.max() <= 1 else 1), 0, 255).astype(np.uint8)
            picture = QPixmap.fromImage(to_qimage(255 - img)).scaled(THUMBNAIL, THUMBNAIL, Qt.KeepAspectRatio,
                                                                     Qt.SmoothTransformation)
            icon = self._icons[i] = QIcon(picture)
        return icon

    def _fill(self, listing: DigitList, indices) -> None:
        listing.fill(indices, self.caption, self._tooltip, self._icon if self.images is not None else None)

    # -- interaction ---------------------------------------------------------------------------
    def select_cell(self, true: int, read: int, note: str = "") -> np.ndarray:
        """What a click on a cell does: list its digits; comparing, B's digits of the cell and A's
        that left it, what changed first. Returns the indices listed."""
        read = 10 if read == BLANK else int(read)
        true = int(true)
        indices = cell(self.labels, self.reads[-1], true, read)
        listed, came, left = indices, np.zeros(0, np.int64), np.zeros(0, np.int64)
        if self.kind == "comparison":  # what changed first: the digits that came in, then those that left
            in_a = cell(self.labels, self.reads[0], true, read)
            came, left = np.setdiff1d(indices, in_a), np.setdiff1d(in_a, indices)
            listed = np.concatenate([came, left, np.intersect1d(indices, in_a)])
        self.selected_cell = (true, read)
        self.heatmap.selected = (true, read)
        self.heatmap.update()
        self._fill(self.cell_list, listed)
        what = "blank" if read == 10 else f"read {read}"
        self.tabs.setTabText(self.cell_tab, f"True {true}, {what} ({len(indices):,})")
        n = len(indices)
        verb = "left blank" if read == 10 else ("read right" if read == true else f"read as {read}")
        text = f"<b>Labelled {true}, {verb}</b>"
        if self.kind == "comparison":
            before = int(self.scores[0].confusion[true, read])
            text += (f" by {html.escape(self.names[1])}: {n:,} digit{'' if n == 1 else 's'} "
                     f"({html.escape(self.names[0])}: {before:,})")
            moved = [f"{len(ids):,} that {how}" for ids, how in ((came, "came into it"), (left, "left it")) if len(ids)]
            if moved:
                text += f"; listed first: the {' and the '.join(moved)}"
        else:
            text += f": {n:,} digit{'' if n == 1 else 's'}"
        if note and n:
            text += f" — {note}"
        text += "." if self.kind != "comparison" else f". Captions: {html.escape(self._key())}"
        self.cell_header.setText(text)
        self.tabs.setCurrentIndex(self.cell_tab)
        self.cellSelected.emit(true, read)
        return listed

    @property
    def cell_indices(self) -> np.ndarray:
        """Every digit listed for the selected cell (comparing, also those that left it; the
        list shows at most ``MAX_LISTED``)."""
        return self.cell_list.indices

    # -- export --------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        # every matrix with the blank column, as the scores' confusion matrices have it, so that
        # "columns" names the columns of all of them
        cols = len(COLUMN_NAMES)
        d = {"kind": self.kind, "title": self.title, "names": list(self.names), "columns": COLUMN_NAMES,
             "count": int(len(self.labels)), "scores": [s.to_dict() for s in self.scores],
             "cells": self.scores[-1].confusion[:, :cols].tolist()}
        if self.kind == "comparison":
            c = self.comparison
            test = c.test()
            ids = self.ids if self.ids is not None else np.arange(len(self.labels))
            d.update({
                "cells_a": self.scores[0].confusion[:, :cols].tolist(),  # (b's are "cells")
                "improvement": improvements(c.delta(), cols).tolist(),
                "accuracy_change_points": round((self.scores[1].accuracy - self.scores[0].accuracy) * 100, 4),
                "fixed": ids[c.fixed].tolist(), "broken": ids[c.broken].tolist(),
                "mcnemar": {"only_a": test.only_a, "only_b": test.only_b, "p_value": test.p_value,
                            "sentence": test.sentence(*self.names)},
            })
        return _plain(d)

    def export_json(self, path) -> None:
        """The numbers of the report, written atomically."""
        write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")

    def export_png(self, path) -> None:
        """A picture of the view as shown, written atomically."""
        if not self.isVisible():  # never shown: lay it out at a size where everything is readable
            self.resize(self.size().expandedTo(QSize(1200, 720)))
            self.layout().activate()
        picture = self.grab()
        with atomic_path(path) as tmp:
            if not picture.save(str(tmp), "PNG"):
                raise WriteError("cannot write the PNG", path)

    def suggested_name(self) -> str:
        return f"report-{_slug(self.title)}"


# -- the dialog ------------------------------------------------------------------------------------
class ReportDialog(QDialog):
    """A non-modal window around a :class:`ReportView`: Export PNG…, Export JSON…, Close, and any
    buttons a caller adds (``add_button("Keep the new model", keep)``)."""

    def __init__(self, parent=None, settings=None, title: str = "Report"):
        super().__init__(parent)
        from .settings import AppSettings

        self.settings = settings or AppSettings()
        self.setModal(False)
        self.setWindowTitle(title)
        self.setSizeGripEnabled(True)
        self.view = ReportView()
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.view)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.png_button = QPushButton("Export PNG…")
        self.json_button = QPushButton("Export JSON…")
        self.close_button = QPushButton("Close")
        self.png_button.setToolTip("Save a picture of this report")
        self.json_button.setToolTip("Save the report's numbers: scores, confusion counts, fixed and broken digits")
        self.png_button.clicked.connect(self.choose_png)
        self.json_button.clicked.connect(self.choose_json)
        self.close_button.clicked.connect(self.close)
        for b in (self.png_button, self.json_button, self.close_button):
            b.setAutoDefault(False)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(10, 4, 10, 8)
        self.buttons.addWidget(self.png_button)
        self.buttons.addWidget(self.json_button)
        self.saved_label = QLabel("")  # where the last export went
        self.saved_label.setStyleSheet(f"color: {MUTED}; padding-left: 6px;")
        self.buttons.addWidget(self.saved_label)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(self.buttons)
        self.setMinimumSize(480, 360)  # a small window scrolls its content
        self.last_request: tuple[str, str] | None = None  # without dialogs: the export asked for
        self.last_error = ""
        self.last_saved = ""
        from .window_sizing import fit_on_screen

        fit_on_screen(self, 1240, 760)

    def minimumSizeHint(self) -> QSize:
        return QSize(480, 360)

    def show_evaluation(self, title: str, labels, predicted, images=None, name: str = "model", ids=None) -> None:
        self.setWindowTitle(title)
        self.saved_label.setText("")  # that was another report
        self.view.show_evaluation(title, labels, predicted, images, name, ids)

    def show_comparison(self, title: str, comparison: Comparison, images=None, ids=None) -> None:
        self.setWindowTitle(title)
        self.saved_label.setText("")
        self.view.show_comparison(title, comparison, images, ids)

    def add_button(self, text: str, callback, close: bool = True, default: bool = False) -> QPushButton:
        """A button before Close that calls ``callback()`` (and then closes the window, if ``close``)."""
        button = QPushButton(text)
        button.setAutoDefault(False)
        button.setDefault(default)

        def clicked():
            callback()
            if close:
                self.close()

        button.clicked.connect(clicked)
        self.buttons.insertWidget(self.buttons.indexOf(self.close_button), button)
        return button

    def choose_png(self) -> None:
        self._choose("png", "Export the report as a picture", "PNG pictures (*.png)", self.view.export_png)

    def choose_json(self) -> None:
        self._choose("json", "Export the report's numbers", "JSON files (*.json)", self.view.export_json)

    def _choose(self, ext: str, title: str, filters: str, write) -> None:
        name = f"{self.view.suggested_name()}.{ext}"
        if os.environ.get("DIGITPAD_NO_DIALOGS"):  # tests: record what would have been asked, do not block
            self.last_request = (ext, name)
            return
        from . import file_dialogs

        path = file_dialogs.save_file(self, self.settings, title, name, filters)
        if not path:
            return
        if not path.lower().endswith(f".{ext}"):
            path += f".{ext}"
        self.save(write, path)

    def save(self, write, path: str) -> bool:
        """``write(path)``, then say so beside the buttons; a failure is a warning, and the report stays."""
        try:
            write(path)
        except (OSError, WriteError) as exc:
            self.last_error = str(exc)
            self.saved_label.setText("")
            if not os.environ.get("DIGITPAD_NO_DIALOGS"):
                QMessageBox.warning(self, "Report not saved", str(exc))
            return False
        self.last_saved = path
        self.saved_label.setText(f"Saved {os.path.basename(path)}")
        self.saved_label.setToolTip(path)
        return True
