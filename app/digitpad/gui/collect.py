"""Guided collection of the user's own handwriting into the sample store.

Digits are prompted in a balanced random order; Enter saves (the sample is committed before the
next prompt appears), Space skips, Backspace takes back the last saved sample and asks for it
again. The live prediction is hidden by default so it does not bias the writer.
"""
from __future__ import annotations

import random

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ..core.errors import DigitPadError
from ..core.ink import ink_to_mnist
from ..core.sample_store import Sample, SampleStore
from .canvas import InkCanvas


def prompt_order(per_digit: int, seed: str) -> list[int]:
    """Every digit ``per_digit`` times, shuffled so no digit waits until the end."""
    order = [d for _ in range(per_digit) for d in range(10)]
    random.Random(seed).shuffle(order)
    return order


class CollectionWidget(QWidget):
    sampleSaved = Signal(int)  # sample id
    finished = Signal()
    REQUESTER = "collect"  # this window's key at the recognition worker, apart from the main window's

    def __init__(self, store: SampleStore, worker=None, brush: float = 18.0, dark: bool = True, parent=None):
        super().__init__(parent)
        self.store = store
        self.worker = worker
        self.order: list[int] = []
        self.position = 0
        self.saved: list[tuple[int, int]] = []  # (sample id, position) for "redo last"
        self.done = {d: 0 for d in range(10)}
        self.device = "mouse"

        self.writer = QLineEdit()
        self.writer.setPlaceholderText("your name or a nickname")
        self.per_digit = QSpinBox()
        self.per_digit.setRange(1, 500)
        self.per_digit.setValue(10)
        self.show_prediction = QCheckBox("Show the live prediction (can bias you)")
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        form = QFormLayout()
        form.addRow("Writer", self.writer)
        form.addRow("Samples per digit", self.per_digit)
        form.addRow(self.show_prediction)
        form.addRow(self.start_button)

        self.prompt = QLabel("Enter your name and press Start")
        self.prompt.setAlignment(Qt.AlignCenter)
        self.prompt.setStyleSheet("font-size: 22px;")
        self.prediction = QLabel("")
        self.prediction.setAlignment(Qt.AlignCenter)
        self.canvas = InkCanvas(brush=brush, dark=dark)
        self.canvas.setEnabled(False)
        self.canvas.inkChanged.connect(self._ink_changed)
        if worker is not None:
            worker.results(self.REQUESTER).connect(self.show_prediction_result)
        self.bars = {}
        grid = QGridLayout()
        for d in range(10):
            bar = QProgressBar()
            bar.setFormat(f"{d}: %v/%m")
            bar.setTextVisible(True)
            self.bars[d] = bar
            grid.addWidget(bar, d // 5, d % 5)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save (Enter)")
        self.skip_button = QPushButton("Skip (Space)")
        self.undo_button = QPushButton("Redo last (Backspace)")
        self.clear_button = QPushButton("Clear (Esc)")
        for b, slot in ((self.save_button, self.save), (self.skip_button, self.skip),
                        (self.undo_button, self.redo_last), (self.clear_button, self.canvas.clear)):
            b.clicked.connect(slot)
            b.setEnabled(False)
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.prompt)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.prediction)
        layout.addLayout(buttons)
        layout.addLayout(grid)
        for keys, slot in (([Qt.Key_Return, Qt.Key_Enter], self.save), ([Qt.Key_Space], self.skip),
                           ([Qt.Key_Backspace], self.redo_last), ([Qt.Key_Escape], self.canvas.clear)):
            for key in keys:
                sc = QShortcut(QKeySequence(key), self)
                sc.setContext(Qt.WidgetWithChildrenShortcut)
                sc.activated.connect(slot)

    # -- session ------------------------------------------------------------------------------
    def start(self) -> None:
        n = self.per_digit.value()
        self.order = prompt_order(n, f"{self.writer.text()}:{n}")
        self.position = 0
        self.saved.clear()
        self.done = {d: 0 for d in range(10)}
        for bar in self.bars.values():
            bar.setRange(0, n)
            bar.setValue(0)
        self.canvas.setEnabled(True)
        for b in (self.save_button, self.skip_button, self.clear_button):
            b.setEnabled(True)
        self.canvas.clear()
        self.canvas.setFocus()
        self._show_prompt()

    @property
    def current_digit(self) -> int | None:
        return self.order[self.position] if self.position < len(self.order) else None

    def _show_prompt(self) -> None:
        d = self.current_digit
        if d is None:
            self.prompt.setText(f"Done: {len(self.saved)} samples saved. Thank you!")
            self.canvas.setEnabled(False)
            for b in (self.save_button, self.skip_button, self.clear_button):
                b.setEnabled(False)
            self.finished.emit()
        else:
            self.prompt.setText(f"Write the digit <b style='font-size:40px'>{d}</b> "
                                f"&nbsp; ({self.position + 1} of {len(self.order)})")
        self.undo_button.setEnabled(bool(self.saved))

    def save(self) -> int | None:
        d = self.current_digit
        if d is None:
            return None
        ink = self.canvas.snapshot()
        pre = ink_to_mnist(ink)
        if pre.empty:
            self.prompt.setText(f"Nothing drawn yet: write the digit <b style='font-size:40px'>{d}</b>")
            return None
        sample = Sample(label=d, image=np.round(pre.image * 255).astype(np.uint8), ink=ink,
                        writer=self.writer.text().strip(), device=self.device)
        try:
            sample_id = self.store.add(sample)  # committed before the next prompt appears
        except (DigitPadError, OSError, ValueError) as exc:
            self.prompt.setText(f"Could not save ({exc}); your drawing is still here. Try again.")
            return None
        self.saved.append((sample_id, self.position))
        self.done[d] += 1
        self.bars[d].setValue(self.done[d])
        self.position += 1
        self.canvas.reset()  # a fresh drawing: undo must not bring back the saved sample's strokes
        self.device = "mouse"
        self.sampleSaved.emit(sample_id)
        self._show_prompt()
        return sample_id

    def skip(self) -> None:
        if self.current_digit is None:
            return
        self.order.append(self.order.pop(self.position))  # ask for it again at the end
        self.canvas.clear()
        self._show_prompt()

    def redo_last(self) -> None:
        if not self.saved:
            return
        sample_id, position = self.saved.pop()
        self.store.set_deleted([sample_id])
        d = self.order[position]
        self.done[d] -= 1
        self.bars[d].setValue(self.done[d])
        self.order.pop(position)  # earlier than the current prompt, so the pointer moves back one
        self.position -= 1
        self.order.insert(self.position, d)
        self.canvas.clear()
        self.canvas.setEnabled(True)
        for b in (self.save_button, self.skip_button, self.clear_button):
            b.setEnabled(True)
        self._show_prompt()

    def _ink_changed(self) -> None:
        if self.canvas._tablet_down:
            self.device = "tablet"
        if self.show_prediction.isChecked() and self.worker is not None and not self.canvas.document.is_empty:
            self.worker.submit(self.REQUESTER, ink=self.canvas.snapshot())
        else:
            self.prediction.setText("")
            if self.worker is not None:
                self.worker.withdraw(self.REQUESTER)  # a late answer for the old ink must not reappear

    def show_prediction_result(self, result) -> None:
        if self.show_prediction.isChecked() and result.recognition is not None and not result.recognition.empty:
            r = result.recognition
            self.prediction.setText(f"model reads: {r.digit} ({r.confidence * 100:.0f}%)")
