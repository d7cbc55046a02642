"""Model > Evaluate… and Compare With…'s "Report on a Set…": which labelled set, read on the
recognition worker a chunk at a time (progress, Cancel, drawings still answered), then the
report view. The set is loaded on the worker too, so a large file never freezes the window."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit,
                               QProgressDialog, QPushButton, QRadioButton, QVBoxLayout)

from ..core.comparison import Comparison
from . import file_dialogs

MNIST, HELD_OUT, FILE = "mnist", "held-out", "file"


def set_loader(kind: str, path: str | None = None, mnist: str | None = None, store: str | None = None):
    """A function that returns the LabelledSet (called on the worker thread)."""
    def load():
        from ..core.labelled_sets import held_out_samples, load_labelled, mnist_test

        if kind == MNIST:
            return replace(mnist_test(mnist, allow_download=False), source="MNIST test")
        if kind == HELD_OUT:
            return held_out_samples(store)
        return load_labelled(path)
    return load


class SetChooser(QDialog):
    """MNIST test, the user's held-out samples, or any labelled file or folder the command line reads."""

    def __init__(self, parent, settings, held_out: int, title: str):
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(title)
        self.group = QButtonGroup(self)
        self.mnist = QRadioButton("MNIST test (10,000 digits)")
        self.held = QRadioButton(f"Your held-out samples ({held_out:,})")
        self.held.setEnabled(held_out > 0)
        self.file = QRadioButton("A labelled file or folder:")
        for i, b in enumerate((self.mnist, self.held, self.file)):
            self.group.addButton(b, i)
        self.mnist.setChecked(True)
        self.path = QLineEdit()
        self.path.setPlaceholderText("a labelled file or folder")
        # the formats under the field, whole: as a placeholder they were cut at the dialog's width
        hint = QLabel("An .npz, an IDX folder, a folder of pictures (in folders 0-9, or named like "
                      "7_x.png), or labelled ink .jsonl; add :key=value to take some records "
                      "(data.jsonl:part=test).")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #6b7280")
        self.path.textEdited.connect(lambda _t: self.file.setChecked(True))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Evaluate")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Evaluate on:"))
        for b in (self.mnist, self.held, self.file):
            layout.addWidget(b)
        layout.addLayout(row)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)  # room for a path

    def _browse(self) -> None:
        path = file_dialogs.open_file(self, self.settings, "Labelled set",
                                      "Labelled sets (*.npz *.jsonl *.csv);;All files (*)")
        if path:
            self.path.setText(path)
            self.file.setChecked(True)

    def choice(self) -> tuple[str, str | None]:
        if self.file.isChecked():
            return FILE, self.path.text().strip()
        return (HELD_OUT if self.held.isChecked() else MNIST), None


class Reports(QObject):
    """Runs evaluations for the main window and shows their reports."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.progress: QProgressDialog | None = None
        self.dialog = None  # the latest ReportDialog
        self.last: Comparison | None = None  # the latest comparison shown (tests read it)
        self.failure: str | None = None
        self._job = 0  # the evaluation this window waits for; anything else the worker says is old

    def connect(self, worker) -> None:
        worker.evaluationProgress.connect(self._progress)
        worker.evaluationDone.connect(self._done)
        worker.evaluationFailed.connect(self._failed)

    def choose(self, compare: bool = False) -> None:
        w = self.window
        store = w.store()
        held = sum(v["test"] for v in store.stats()["per_digit"].values()) if store is not None else 0
        chooser = SetChooser(w, w.settings, held, "Compare on a Set" if compare else "Evaluate the Model")
        if chooser.exec() != QDialog.Accepted:
            return
        kind, path = chooser.choice()
        if kind == FILE and not path:
            w._show_error("Evaluate", "Choose a labelled file or folder first.")
            return
        self.evaluate(kind, path, compare)

    def evaluate(self, kind: str, path: str | None = None, compare: bool = False) -> None:
        w = self.window
        if w.worker is None or w.model is None:
            return
        store = str(w.store().path) if kind == HELD_OUT and w.store() is not None else None
        self.failure = None
        self._close_progress()  # a new evaluation replaces the one running (the worker cancels it)
        self._job = w.worker.evaluate(set_loader(kind, path, w.mnist_path or w.settings.mnist_path, store), compare)
        self.progress = QProgressDialog("Reading the set…", "Cancel", 0, 0, w)
        self.progress.setAttribute(Qt.WA_DeleteOnClose)
        self.progress.setWindowTitle("Comparing models" if compare else "Evaluating")
        self.progress.setWindowModality(Qt.NonModal)
        self.progress.setMinimumDuration(300)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.canceled.connect(self._cancel)

    def _cancel(self) -> None:
        self._job = 0  # whatever it still says is not shown
        if self.window.worker is not None:
            self.window.worker.cancel_evaluation()
        self.window.statusBar().showMessage("Evaluation cancelled", 5000)
        self._close_progress()

    def _progress(self, job: int, done: int, total: int) -> None:
        if self.progress is not None and job == self._job:
            self.progress.setMaximum(total)
            self.progress.setValue(done)
            self.progress.setLabelText(f"Reading {done:,} of {total:,} digits…")

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect(self._cancel)
            self.progress.close()
            self.progress = None

    def _failed(self, job: int, message: str) -> None:
        if job != self._job:
            return
        self._close_progress()
        self.failure = message
        self.window._show_error("Cannot evaluate", message)

    def _done(self, ev) -> None:
        if ev.id != self._job:
            return
        self._job = 0
        self._close_progress()
        from .report_view import ReportDialog

        dialog = ReportDialog(self.window, self.window.settings)
        if len(ev.predictions) == 2:
            self.last = Comparison(ev.labels, ev.predictions[0], ev.predictions[1], tuple(ev.names))
            dialog.show_comparison(f"A: {ev.names[0]} vs B: {ev.names[1]} on {ev.source}", self.last, ev.images,
                                   ev.ids)
        else:
            self.last = None
            dialog.show_evaluation(f"{ev.names[0]} on {ev.source}", ev.labels, ev.predictions[0], ev.images,
                                   ev.names[0], ev.ids)
        self.show(dialog)

    def show_finetune(self, report, old_name: str, go_back) -> None:
        """Fine-tuning's before/after on the user's held-out samples (else MNIST test), a button to
        switch to the other set, "Keep the new model" and "Go back" (``go_back()``)."""
        from .report_view import ReportDialog

        names = {"homemade_test": "your held-out samples", "mnist_test": "MNIST test"}
        sets = [k for k in ("homemade_test", "mnist_test") if k in report.readings]
        if not sets:
            return
        dialog = ReportDialog(self.window, self.window.settings)
        state = {"i": 0}

        def show(i: int) -> None:
            state["i"] = i
            labels, before, after, images = report.readings[sets[i]]
            self.last = Comparison(labels, before, after, ("before", "after"))
            dialog.show_comparison(f"Fine-tuning: {old_name} before and after, on {names[sets[i]]}", self.last,
                                   images, report.ids.get(sets[i]))
            if switch is not None:
                switch.setText(f"Show {names[sets[1 - i]]}")

        switch = None
        if len(sets) == 2:
            switch = dialog.add_button("", lambda: show(1 - state["i"]), close=False)
        dialog.add_button("Keep the new model", lambda: None, default=True)
        dialog.add_button(f"Go back to {old_name}", go_back)
        show(0)
        self.show(dialog)

    def show(self, dialog) -> None:
        dialog.setAttribute(Qt.WA_DeleteOnClose)  # a report holds its set's pictures: freed when closed
        dialog.destroyed.connect(lambda: setattr(self, "dialog", None) if self.dialog is dialog else None)
        self.dialog = dialog
        dialog.show()
        dialog.raise_()

