"""Samples > Fine-tune on My Samples, for the main window: the job and its progress dialog, then
what it ended in (the before/after report, a notice, or the question where MNIST is)."""
from __future__ import annotations

import datetime
import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from ..core.errors import DigitPadError


class Finetuning(QObject):
    """At most one fine-tuning at a time; the window stays usable while it runs."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.job = None  # the running FinetuneJob
        self.base: str | None = None  # the model being fine-tuned: "Go back" returns to it
        self.dialog: QProgressDialog | None = None
        self.last = None  # the latest FinetuneReport
        self._since: tuple[int, float] | None = None  # (count, time) when training began, for the time left
        self.origin = None  # the window fine-tuning was asked from: its messages open over it

    def is_running(self) -> bool:
        return self.job is not None and self.job.is_running()

    def start(self, output: str | None = None) -> None:
        from ..core.training_presets import finetune_shortfall
        from .finetune_job import FinetuneJob

        w = self.window
        if self.job is None:
            self.origin = w.dialog_parent()  # now: by the time the job answers, another window may be active
        store = w.store() if w.model is not None and self.job is None else None
        if store is None:
            return
        short = finetune_shortfall(store.stats()["per_digit"])
        if short:  # said at once, before TensorFlow loads (the job would refuse by the same rule)
            self.tell_not_enough(short)
            return
        if output is None:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            output = str(store.path.parent / "models" / f"finetuned-{stamp}.keras")
        job = FinetuneJob(w.model.path, output, str(store.path), w.mnist_path or w.settings.mnist_path, parent=w)
        dialog = self._progress_dialog(job)
        job.progress.connect(lambda done, total: self._progress(dialog, done, total))
        job.message.connect(lambda m: w.statusBar().showMessage(m, 8000))
        job.finished.connect(lambda report: self._done(report, dialog))
        job.failed.connect(lambda msg: self._failed(msg, dialog))
        job.cancelled.connect(lambda: self._cancelled(dialog))
        job.notEnough.connect(lambda msg: self._not_enough(msg, dialog))
        job.mnistMissing.connect(lambda msg: self._needs_mnist(msg, dialog, output))
        self.job, self.base, self.dialog, self._since = job, w.model.path, dialog, None
        dialog.show()  # at once: preparing takes seconds (TensorFlow, MNIST, measuring the current model)
        self._place(dialog)
        QTimer.singleShot(100, job.start)  # let the dialog paint before TensorFlow's import takes the GIL

    def _parent(self):
        """The window fine-tuning was asked from, while it is open; else the main window."""
        return self.origin if self.origin is not None and self.origin.isVisible() else self.window

    def _progress_dialog(self, job) -> QProgressDialog:
        dialog = QProgressDialog("Preparing… (reading MNIST and your samples, measuring the current model)",
                                 "Cancel", 0, 0, self.window)  # no steps to count yet: a busy bar
        dialog.setWindowTitle("Fine-tuning on your samples")
        dialog.setAutoReset(False)  # the bar is full while the new model is measured and saved
        dialog.setAutoClose(False)
        dialog.setMinimumDuration(0)
        dialog.setMinimumWidth(440)
        dialog.setWindowModality(Qt.NonModal)  # the window stays usable
        dialog.canceled.connect(job.cancel)
        dialog.canceled.connect(lambda: self.window.statusBar().showMessage("Cancelling fine-tuning…"))
        return dialog

    def _progress(self, dialog: QProgressDialog, done: int, total: int) -> None:
        from .finetune_job import progress_text, time_left

        if dialog.maximum() != total:
            dialog.setRange(0, total)
        now = time.monotonic()
        if total > 0 and self._since is None:
            self._since = (done, now)  # training has begun: the pace is measured from here
        dialog.setValue(done)
        dialog.setLabelText(progress_text(done, total, self.job.epochs if self.job else None)
                            + time_left(done, total, self._since, now))

    def _place(self, dialog: QProgressDialog) -> None:
        """Over the bottom of the canvas, so the chart and the answer stay in view."""
        w = self.window
        dialog.adjustSize()
        frame = dialog.frameGeometry()
        corner = w.canvas.mapToGlobal(QPoint(0, 0))
        x = corner.x() + (w.canvas.width() - frame.width()) // 2
        y = corner.y() + w.canvas.height() - frame.height() - 12
        screen = (w.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        x = max(screen.left(), min(x, screen.right() - frame.width()))
        y = max(screen.top(), min(y, screen.bottom() - frame.height()))
        dialog.move(x, y)

    def _end(self, dialog: QProgressDialog) -> None:
        dialog.reset()
        dialog.hide()
        self.job = None

    def _done(self, report, dialog: QProgressDialog) -> None:
        w = self.window
        self._end(dialog)
        self.last = report
        b, a = report.before, report.after
        mine = a.get("homemade_test")
        text = (f"Your held-out samples ({mine['count']}): {b['homemade_test']['accuracy'] * 100:.2f}% → "
                f"{mine['accuracy'] * 100:.2f}%\n" if mine else
                "Your held-out samples: none (all are in the training split)\n")
        text += f"MNIST test: {b['mnist_test']['accuracy'] * 100:.2f}% → {a['mnist_test']['accuracy'] * 100:.2f}%"
        if not report.mnist_drop_ok:
            text += f"\n\nWarning: MNIST accuracy fell by {report.mnist_drop * 100:.2f} points (more than 0.2)."
        text += f"\n\nSaved {report.output}. Switching to it now."
        w.statusBar().showMessage(text.replace("\n", " "), 15000)
        old = self.base or (w.model.path if w.model else None)  # what was fine-tuned
        w.load_model(report.output)
        # the before/after report, with "Keep the new model" and "Go back"
        w.reports.show_finetune(report, Path(old).name if old else "the old model",
                                lambda: old and w.load_model(old))

    def _failed(self, message: str, dialog: QProgressDialog) -> None:
        self._end(dialog)
        self.window._show_error("Fine-tuning stopped", message, self._parent())

    def _cancelled(self, dialog: QProgressDialog) -> None:
        w = self.window
        self._end(dialog)
        w.statusBar().showMessage("Fine-tuning cancelled", 8000)
        model = f", and {w.model.name} is still the model in use" if w.model else ""
        w._show_notice("Fine-tuning cancelled", f"Fine-tuning was cancelled. Nothing was saved{model}.", self._parent())

    def _not_enough(self, message: str, dialog: QProgressDialog) -> None:
        from .finetune_job import short_digits

        self._end(dialog)
        self.tell_not_enough(short_digits(message))

    def tell_not_enough(self, short: dict[int, int]) -> None:
        """``short``: the digits with too few samples, each with how many it has."""
        from ..core.sample_store import TEST_EVERY

        digits = sorted(short)
        if not digits:
            more = "a few more of each digit"
        elif len(digits) <= 3:
            more = "more of " + ", ".join(f"{d} ({short[d]} so far)" if short[d] else f"{d} (none yet)"
                                          for d in digits)
        else:
            more = "more of " + ", ".join(map(str, digits[:-1])) + f" and {digits[-1]}"
        self.window._show_notice("Not enough samples", f"Fine-tuning needs at least {TEST_EVERY} samples of every "
                                                       f"digit: some to learn from and one to test on. Collect {more}.",
                                 self._parent())

    def _needs_mnist(self, message: str, dialog: QProgressDialog, output: str) -> None:
        """MNIST was not found: offer to locate it (and remember it), then start again."""
        w = self.window
        self._end(dialog)
        # core.mnist_data says where it looked, then gives command-line advice the app replaces with a button
        looked = message.split(" Pass --mnist")[0].removeprefix("MNIST not found. ").rstrip(".")
        looked = looked.replace("--mnist path does not exist", "not there any more")
        text = ("Fine-tuning needs MNIST: it mixes MNIST's digits with yours and measures both before and after. "
                f"DigitPad did not find it ({looked[:1].lower() + looked[1:]}).\n\nShow DigitPad where it is: an "
                "mnist.npz, or a folder with the four IDX files. DigitPad will remember it.")
        if os.environ.get("DIGITPAD_NO_DIALOGS"):
            w.last_error = text
            return
        box = QMessageBox(QMessageBox.Information, "Where is MNIST?", text, QMessageBox.Cancel, self._parent())
        locate = box.addButton("Locate MNIST…", QMessageBox.AcceptRole)
        box.setDefaultButton(locate)
        box.exec()
        if box.clickedButton() is locate and self.locate_mnist(self._parent()):
            self.start(output)

    def locate_mnist(self, parent=None) -> bool:
        """Ask where MNIST is (an .npz or an IDX folder), check it, and remember it for fine-tuning."""
        from ..core import mnist_data
        from .mnist_dialog import MnistDialog

        w = self.window
        parent = parent or w.dialog_parent()
        known = w.mnist_path or w.settings.mnist_path
        start = str(Path(known).parent) if known else str(Path.home())
        path = MnistDialog.get_path(parent, start)
        if not path:
            return False
        QGuiApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            arrays = mnist_data.load_path(path)
        except DigitPadError as exc:
            w._show_error("Not MNIST", f"{exc}\n\nChoose an mnist.npz (with x_train, y_train, x_test, y_test) "
                          "or a folder with MNIST's four IDX files.", parent)
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        w.mnist_path = w.settings.mnist_path = path
        w.statusBar().showMessage(f"MNIST: {len(arrays['y_train']):,} training and {len(arrays['y_test']):,} "
                                  f"test digits in {path}; remembered for fine-tuning", 10000)
        return True
