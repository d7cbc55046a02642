"""Browse, filter, relabel and delete homemade samples, with the current model's reading of each."""
from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import SIGNAL, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QKeySequence, QPixmap, QShortcut, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QListView, QMenu,
                               QMessageBox, QProgressBar, QPushButton, QStackedWidget, QVBoxLayout, QWidget)

from ..core.errors import DigitPadError
from ..core.sample_store import Sample, SampleStore
from . import file_dialogs
from .imaging import to_qimage
from .samples_io import EXPORTS, SamplesTransfer
from .settings import AppSettings

ID_ROLE = Qt.UserRole + 1
THUMBNAIL = 64  # px: a 28x28 sample drawn at a size one can read
CELL = (THUMBNAIL + 24, THUMBNAIL + 34)  # the least room per thumbnail and its caption
MAX_WRITERS_LISTED = 4  # more writers than this are counted in the footer, not listed


class ThumbnailGrid(QListView):
    """Thumbnails in a grid whose columns share the whole width, however wide the window."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.IconMode)
        self.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.setGridSize(QSize(*CELL))
        self.setResizeMode(QListView.Adjust)
        self.setMovement(QListView.Static)
        self.setUniformItemSizes(True)

    def resizeEvent(self, event) -> None:
        width = self.viewport().width() - 2
        columns = max(1, width // CELL[0])
        self.setGridSize(QSize(max(CELL[0], width // columns), CELL[1]))
        super().resizeEvent(event)


class DatasetView(QWidget):
    predictionsWanted = Signal(object)  # (ids, images, the store's path to read their inks from) for the worker
    finetuneRequested = Signal()

    def __init__(self, store: SampleStore, parent=None, settings: AppSettings | None = None):
        super().__init__(parent)
        self.store = store
        self.settings = settings or AppSettings()  # where import/export dialogs start
        self.samples: list[Sample] = []
        self.predictions: dict[int, int] = {}
        self._unreadable: set[int] = set()  # samples the model failed on: not asked for again until it changes
        self._failure = ""  # why, said in the footer
        self._asked: set[int] = set()  # asked of the model, not answered yet: the footer counts them down
        self.model_name = ""  # whose reading the marks are
        self._undo: list[tuple[str, list, object]] = []
        self._icons: dict[int, QIcon] = {}
        self._stats: dict | None = None  # the store's counts at the last refresh
        self._labels: dict[int, int] = {}  # id -> label of every sample the filters show
        self.digit = QComboBox()
        self.digit.addItems(["all digits"] + [str(d) for d in range(10)])
        self.writer = QComboBox()
        # Long or many writer names must not widen (and so resize) the window.
        self.writer.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.writer.setMinimumContentsLength(8)
        self.split = QComboBox()
        self.split.addItems(["train and test", "train", "test"])
        for combo in (self.digit, self.writer, self.split):
            combo.currentIndexChanged.connect(self.refresh)
        self.only_wrong = QPushButton("Misread only")
        self.only_wrong.setCheckable(True)
        self.only_wrong.toggled.connect(self.refresh)
        self.finetune_button = QPushButton("Fine-tune…")
        self.finetune_button.setToolTip("Fine-tune the current model on MNIST and all your samples (in the background)")
        self.finetune_button.clicked.connect(self.finetuneRequested)
        self.import_button = QPushButton("Import")
        menu = QMenu(self.import_button)
        menu.addAction("Ink JSON Lines, .npz or pixel .csv file…", lambda: self._choose_import(folder=False))
        menu.addAction("Folder of pictures (labels.csv, 0-9 sub-folders or 7_x names) or IDX files…",
                       lambda: self._choose_import(folder=True))
        self.y_up_action = menu.addAction("Ink's y axis points up (UNIPEN, some tablets)")
        self.y_up_action.setCheckable(True)
        self.import_button.setMenu(menu)
        self.export_button = QPushButton("Export")
        menu = QMenu(self.export_button)
        for text, fmt, folder in EXPORTS:
            menu.addAction(text, lambda fmt=fmt, folder=folder: self._choose_export(fmt, folder))
        self.export_button.setMenu(menu)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # no count to show: it only says "working"
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        self.transfer: SamplesTransfer | None = None
        self._transfer_kind = ""
        self.last_message = ""  # the latest import/export outcome, as told to the user
        filters = QHBoxLayout()
        for w in (QLabel("Show"), self.digit, self.writer, self.split, self.only_wrong):
            filters.addWidget(w)
        filters.addStretch(1)
        for w in (self.busy, self.import_button, self.export_button, self.finetune_button):
            filters.addWidget(w)
        for w in (self.only_wrong, self.import_button, self.export_button, self.finetune_button):
            w.setMinimumWidth(w.fontMetrics().horizontalAdvance(w.text()) + 28)  # not the style's 80 px
        self.model = QStandardItemModel(self)
        self.view = ThumbnailGrid()
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.view.setModel(self.model)
        self.view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.empty = QLabel("")  # said instead of an empty grid
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("font-size: 15px; color: #6b7280;")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.view)
        self.pages.addWidget(self.empty)
        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        # Two lines at most, whatever the text: a footer that grows would resize (and move) the window.
        self.counts.setFixedHeight(self.counts.fontMetrics().lineSpacing() * 2 + 4)
        self.counts.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.counts)
        QShortcut(QKeySequence.Delete, self.view, self.delete_selected)
        QShortcut(QKeySequence.Undo, self, self.undo)
        for key in (QKeySequence("Ctrl+W"), QKeySequence(Qt.Key_Escape)):  # a tool window closes as dialogs do
            QShortcut(key, self, self.close)
        for d in range(10):  # type a digit to relabel the selection
            QShortcut(QKeySequence(str(d)), self.view, lambda d=d: self.relabel_selected(d))
        self.refresh()

    # -- data ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        stats = self.store.stats()
        writers = sorted(stats["per_writer"])
        current = self.writer.currentText()
        self.writer.blockSignals(True)
        self.writer.clear()
        self.writer.addItems(["all writers"] + [w or "(no name)" for w in writers])
        if current:
            self.writer.setCurrentText(current)
        self.writer.blockSignals(False)
        digit = None if self.digit.currentIndex() == 0 else self.digit.currentIndex() - 1
        writer = None if self.writer.currentIndex() <= 0 else writers[self.writer.currentIndex() - 1]
        split = {0: None, 1: "train", 2: "test"}[self.split.currentIndex()]
        samples = self.store.samples(label=digit, writer=writer, split=split, with_ink=False)
        # asked of every sample the filters show, "Misread only" or not: that is how misreads are found
        missing = [s for s in samples if s.id not in self.predictions and s.id not in self._unreadable]
        self._labels = {s.id: s.label for s in samples}  # of all the filters show: to spot a new misread
        if self.only_wrong.isChecked():
            samples = [s for s in samples if s.id in self.predictions and self.predictions[s.id] != s.label]
        if self.samples and samples and samples[0].id != self.samples[0].id:
            self.view.scrollToTop()  # another list: from its start
        self.samples = samples
        self.model.clear()
        for s in samples:
            icon = self._icons.get(s.id)
            if icon is None:  # a sample's picture never changes: draw its thumbnail once, at the size shown
                picture = QPixmap.fromImage(to_qimage(255 - s.image)).scaled(
                    THUMBNAIL, THUMBNAIL, Qt.KeepAspectRatio, Qt.SmoothTransformation)
                icon = self._icons[s.id] = QIcon(picture)
            item = QStandardItem(icon, self._caption(s))
            item.setData(s.id, ID_ROLE)
            item.setEditable(False)
            item.setToolTip(", ".join(filter(None, [f"#{s.id} label {s.label}", s.writer or "no name", s.split,
                                                    s.device])))
            if s.id in self.predictions and self.predictions[s.id] != s.label:
                item.setBackground(QBrush(QColor("#f8d0cc")))
            self.model.appendRow(item)
        if not self.receivers(SIGNAL("predictionsWanted(PyObject)")):
            missing = []  # nobody reads them (no model): no marks, and nothing said to be coming
        elif {s.id for s in missing} != self._asked:
            # the view holds no inks (parsing thousands would stall it): the worker reads them. A new
            # request replaces the one running, so it holds all that is unread; the same one is not
            # asked again (each answer refreshes the "Misread only" list)
            self._asked = {s.id for s in missing}
        else:
            missing = []
        if missing:
            self.predictionsWanted.emit(([s.id for s in missing], np.stack([s.image for s in missing]),
                                         self.store.path))
        self._stats = stats
        self._show_counts(stats, len(samples))
        self._show_empty(stats["total"], len(samples))

    def _show_counts(self, stats: dict, shown: int) -> None:
        total, per_writer = stats["total"], sorted(stats["per_writer"].items())
        head = f"{total} samples" if shown == total else f"Showing {shown} of {total} samples"
        digits = ", ".join(f"{d}: {c['train'] + c['test']}" for d, c in stats["per_digit"].items())
        writers = (", ".join(f"{w or '(no name)'} {n}" for w, n in per_writer) if len(per_writer) <= MAX_WRITERS_LISTED
                   else f"{len(per_writer)} writers")
        text = f"{head}. Per digit: {digits}. Writers: {writers or 'none'}."
        if self._asked:  # first: the footer shows two lines
            text = (f"Reading them with {self.model_name or 'the model'}: {len(self._asked):,} to go. " + text)
        elif self.model_name and self.predictions:
            text = f"Marks: {self.model_name}'s reading. {text}"
        if self._failure:
            text = f"{self._failure} {text}"
        if self.store.moved():  # first of all: nothing done here is kept until it is back
            text = f"The store's file was moved or deleted: put it back to make changes. {text}"
        self.counts.setText(text)
        self.counts.setToolTip(text)

    def _show_empty(self, total: int, shown: int) -> None:
        """A sentence instead of a blank grid: why nothing is shown, and what to do."""
        if shown:
            self.pages.setCurrentWidget(self.view)
            return
        if total == 0:
            text = ("No samples yet.\n\nCollect your handwriting with Ctrl+K (Samples > Collect My Handwriting… "
                    "in the main window), or bring a set in with Import.")
        elif self.only_wrong.isChecked() and self._asked:
            text = (f"Reading the samples with {self.model_name or 'the model'}: {len(self._asked):,} to go. "
                    "Misread ones appear here as they are found.")
        elif self.only_wrong.isChecked():
            text = ("No misread samples here: the current model reads every sample these filters show as "
                    "labelled.\n\nUntick \"Misread only\" to see them.")
        else:
            wider = [f"\"{combo.itemText(0)}\"" for combo in (self.digit, self.writer, self.split)
                     if combo.currentIndex() > 0]  # only the filters that are set
            text = (f"No sample matches these filters (of {total} in all).\n\nChoose "
                    + (" or ".join(wider) or "other filters") + " to see more.")
        self.empty.setText(text)
        self.pages.setCurrentWidget(self.empty)

    def _caption(self, s: Sample) -> str:
        pred = self.predictions.get(s.id)
        return f"{s.label}" + ("" if pred is None else f" → {pred}" if pred != s.label else " ✓")

    def set_predictions(self, ids, digits) -> None:
        new = {int(i): int(d) for i, d in zip(ids, digits)}
        self.predictions.update(new)
        self._asked.difference_update(new)
        if self.only_wrong.isChecked() and any(d != self._labels.get(i, d) for i, d in new.items()):
            self.refresh()  # the list itself changes: misread ones join it as they are found
            return
        by_id = {s.id: s for s in self.samples}
        for row in range(self.model.rowCount()):
            item = self.model.item(row)
            sample = by_id.get(item.data(ID_ROLE))
            if sample is not None and sample.id in new:
                item.setText(self._caption(sample))
                if new[sample.id] != sample.label:
                    item.setBackground(QBrush(QColor("#f8d0cc")))
        if self._stats is not None:  # the count of those to go, without asking the store again
            self._show_counts(self._stats, len(self.samples))
            self._show_empty(self._stats["total"], len(self.samples))

    def predictions_failed(self, ids, message: str) -> None:
        """The model could not read ``ids``: say so once, instead of asking again on every refresh."""
        self._unreadable.update(int(i) for i in ids)
        self._asked.difference_update(self._unreadable)
        self._failure = f"The model could not read {len(self._unreadable)} samples: {message}."
        self.refresh()

    def forget_predictions(self, model_name: str = "") -> None:
        self.predictions.clear()
        self._unreadable.clear()
        self._asked.clear()
        self._failure = ""
        self.model_name = model_name
        if self.isVisible():  # a hidden view is refreshed when it is shown again
            self.refresh()

    def selected_ids(self) -> list[int]:
        return [self.model.itemFromIndex(i).data(ID_ROLE) for i in self.view.selectionModel().selectedIndexes()]

    # -- edits (undoable) -----------------------------------------------------------------------
    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if ids and self._edited("deleted", lambda: self.store.set_deleted(ids), ids):
            self._undo.append(("delete", ids, None))
            self.refresh()

    def relabel_selected(self, label: int) -> None:
        ids = self.selected_ids()
        old = []
        if ids and self._edited("relabelled", lambda: old.extend(self.store.relabel(i, label) for i in ids), ids):
            self._undo.append(("relabel", ids, old))
            self.refresh()

    def undo(self) -> None:
        if not self._undo:
            return
        kind, ids, old = self._undo[-1]
        if kind == "delete":
            done = self._edited("restored", lambda: self.store.set_deleted(ids, False), ids)
        else:
            done = self._edited("relabelled back",
                                lambda: [self.store.relabel(i, label) for i, label in zip(ids, old)], ids)
        if done:
            self._undo.pop()
            self.refresh()
            self._select(ids)

    def _edited(self, what: str, edit, ids: list[int]) -> bool:
        """Run ``edit`` on the store; a store that refuses (moved away, read-only, full) is said,
        not lost in a traceback, and the samples ``ids`` stay selected to try again."""
        try:
            edit()
        except DigitPadError as exc:
            self.last_message = f"Samples not {what}: {exc}"
            self.refresh()  # a relabelling stopped part-way shows what the store holds
            self._select(ids)
            if not os.environ.get("DIGITPAD_NO_DIALOGS"):
                QMessageBox.warning(self, f"Samples not {what}", str(exc))
            return False
        return True

    def _select(self, ids: list[int]) -> None:
        """Select the samples ``ids`` again (after an undo brings them back)."""
        wanted = set(ids)
        selection = self.view.selectionModel()
        selection.clearSelection()
        for row in range(self.model.rowCount()):
            index = self.model.index(row, 0)
            if index.data(ID_ROLE) in wanted:
                selection.select(index, selection.SelectionFlag.Select)

    # -- import / export -------------------------------------------------------------------------
    def _choose_import(self, folder: bool) -> None:
        if folder:
            path = file_dialogs.existing_folder(self, self.settings, "Import samples from a folder")
        else:
            path = file_dialogs.open_file(self, self.settings, "Import samples",
                                          "Ink JSON Lines, NumPy or pixel CSV (*.jsonl *.npz *.csv);;All files (*)")
        if path:
            self.import_from(path, y_up=self.y_up_action.isChecked())

    def _choose_export(self, fmt: str, folder: bool) -> None:
        if folder:
            path = file_dialogs.existing_folder(self, self.settings, "Export samples into a folder")
        else:
            path = file_dialogs.save_file(self, self.settings, "Export samples", f"samples.{fmt}", f"*.{fmt}")
        if path:
            self.export_to(path, fmt)

    def import_from(self, path: str, fmt: str | None = None, y_up: bool = False) -> None:
        """Import in the background; the view refreshes when it is done. Nothing is half-imported."""
        if self._begin_transfer("import"):
            self.transfer.import_from(path, fmt, y_up)

    def export_to(self, path: str, fmt: str) -> None:
        if self._begin_transfer("export"):
            self.transfer.export_to(path, fmt)

    def _begin_transfer(self, kind: str) -> bool:
        if self.transfer is not None:  # one at a time; the buttons are disabled meanwhile
            return False
        self._transfer_kind = kind
        self.transfer = SamplesTransfer(self.store.path, self)
        self.transfer.done.connect(self._transfer_done)
        self.transfer.failed.connect(self._transfer_failed)
        for w in (self.import_button, self.export_button):
            w.setEnabled(False)
        self.busy.show()
        return True

    def _end_transfer(self, message: str) -> None:
        self.transfer = None
        self.busy.hide()
        for w in (self.import_button, self.export_button):
            w.setEnabled(True)
        self.last_message = message

    def _transfer_done(self, message: str) -> None:
        self._end_transfer(message)
        self.refresh()
        self.counts.setText(f"{message} {self.counts.text()}")
        self.counts.setToolTip(self.counts.text())

    def _transfer_failed(self, message: str) -> None:
        self._end_transfer(message)
        self.refresh()  # the counts line drops the last transfer's news, which this one replaces
        if not os.environ.get("DIGITPAD_NO_DIALOGS"):
            after = "Nothing was imported." if self._transfer_kind == "import" else "The store is unchanged."
            QMessageBox.warning(self, f"Samples not {self._transfer_kind}ed", f"{message}\n\n{after}")

    def _menu(self, pos) -> None:
        if not self.selected_ids():
            return
        menu = QMenu(self)
        relabel = menu.addMenu("Relabel as")
        for d in range(10):
            relabel.addAction(str(d), lambda d=d: self.relabel_selected(d))
        menu.addAction("Delete", self.delete_selected)
        menu.exec(self.view.viewport().mapToGlobal(pos))
