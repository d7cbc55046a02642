"""Guided collection of the user's own handwriting into the sample store.

Digits are prompted in a balanced random order; Enter saves (the sample is committed before the
next prompt appears), Space skips, Backspace takes back the last saved sample and asks for it
again. The live prediction is hidden by default so it does not bias the writer; when it is shown
and the model reads the drawing as another digit, Enter first asks ("Looks like a 7 — save as 4?"),
and a second Enter saves. Closing the window drops the drawing not yet saved; the writer's name is
remembered in the settings. With "Prompt numbers", a session asks for numbers of 2 to 4 digits
instead, and each saved number becomes one sample per digit, labelled from the prompt.
"""
from __future__ import annotations

import html

import random

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ..core.errors import DigitPadError
from ..core.ink import Ink, ink_to_mnist
from ..core.numbers import digits_of_number
from ..core.sample_store import Sample, SampleStore
from .canvas import InkCanvas


def prompt_order(per_digit: int, seed: str) -> list[int]:
    """Every digit ``per_digit`` times, shuffled so no digit waits until the end."""
    order = [d for _ in range(per_digit) for d in range(10)]
    random.Random(seed).shuffle(order)
    return order


def number_prompt(rng: random.Random, needed: dict[int, int]) -> str:
    """A number of 2 to 4 digits to write, its digits mostly those still short of their count
    (``needed``: digit -> samples still wanted), with no leading zero, as people write numbers."""
    weights = [max(needed.get(d, 0), 0) + 0.25 for d in range(10)]
    digits = rng.choices(range(10), weights, k=rng.randint(2, 4))
    if digits[0] == 0:
        digits[0] = rng.choices(range(1, 10), weights[1:])[0]
    return "".join(map(str, digits))


def number_samples(ink: Ink, number: str, writer: str, device: str) -> list[Sample]:
    """A number written to the prompt ``number`` as one sample per digit, labelled from the prompt.

    Raises ``ValueError`` with a sentence for the writer when the drawing does not split into as
    many digits as the prompt has. The split is by the strokes' places alone (no model), so saving
    never waits for the recognition thread; the count check catches a drawing it cannot split.
    """
    samples = []
    for sub, label in digits_of_number(ink, number):
        image = np.round(ink_to_mnist(sub).image * 255).astype(np.uint8)
        samples.append(Sample(label=label, image=image, ink=sub, writer=writer, device=device))
    return samples


class CollectionWidget(QWidget):
    sampleSaved = Signal(int)  # sample id
    finished = Signal()
    REQUESTER = "collect"  # this window's key at the recognition worker, apart from the main window's

    ASK_ABOVE = 0.5  # the model's confidence in another digit above which Enter asks before saving

    def __init__(self, store: SampleStore, worker=None, brush: float = 18.0, dark: bool = True, settings=None,
                 parent=None):
        super().__init__(parent)
        self.store = store
        self.worker = worker
        self.settings = settings  # AppSettings: the writer's name is remembered there
        self.reading: tuple[int, float] | None = None  # the model's (digit, confidence) for the ink shown
        self.asking = False  # "Looks like a 7 — save as 4?" is shown; Enter saves anyway
        self.order: list[int] = []
        self.position = 0
        self.saved: list[tuple[int, int]] = []  # (sample id, position) for "redo last"
        self.done = {d: 0 for d in range(10)}
        self.device = "mouse"
        self.number_session = False  # this session prompts numbers ("Prompt numbers" ticked at Start)
        self.current_number: str | None = None  # the number prompted now; None when the session is done
        self.saved_numbers: list[tuple[list[int], str]] = []  # (sample ids, number) for "redo last"
        self._number_rng = random.Random()

        self.writer = QLineEdit()
        self.writer.setPlaceholderText("your name or a nickname")
        if settings is not None:
            self.writer.setText(settings.writer_name)
        self.per_digit = QSpinBox()
        self.per_digit.setRange(1, 500)
        self.per_digit.setValue(10)
        self.show_prediction = QCheckBox("Show the live prediction (can bias you)")
        self.show_prediction.toggled.connect(lambda _on: self._ink_changed())  # ticked: the reading at once
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        form = QFormLayout()
        form.addRow("Writer", self.writer)
        form.addRow("Samples per digit", self.per_digit)
        form.addRow(self.show_prediction)
        self.prompt_numbers = QCheckBox("Prompt numbers (2 to 4 digits, each digit saved as its own sample)")
        self.prompt_numbers.setToolTip("Takes effect at Start. Leave a little space between digits.")
        form.addRow(self.prompt_numbers)
        form.addRow(self.start_button)

        self.prompt = QLabel("Enter your name and press Start")
        self.prompt.setWordWrap(True)  # a long error (a store's path) wraps instead of widening the window
        self.prompt.setAlignment(Qt.AlignCenter)
        self.prompt.setStyleSheet("font-size: 22px;")
        self.prediction = QLabel("")
        self.prediction.setAlignment(Qt.AlignCenter)
        self.question = QLabel("")
        self.save_anyway = QPushButton("Save (Enter)")
        self.save_anyway.clicked.connect(self.save)
        self.redraw = QPushButton("Redraw (Esc)")
        self.question_bar = QWidget()
        ask = QHBoxLayout(self.question_bar)
        ask.setContentsMargins(0, 0, 0, 0)
        ask.addStretch(1)
        for w in (self.question, self.save_anyway, self.redraw):
            ask.addWidget(w)
        ask.addStretch(1)
        self.question_bar.hide()
        self.canvas = InkCanvas(brush=brush, dark=dark)
        self.canvas.setEnabled(False)
        self.canvas.inkChanged.connect(self._ink_changed)
        self.redraw.clicked.connect(self.canvas.clear)
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
        layout.addWidget(self.question_bar)
        layout.addLayout(buttons)
        layout.addLayout(grid)
        for keys, slot in (([Qt.Key_Return, Qt.Key_Enter], self.save), ([Qt.Key_Space], self.skip),
                           ([Qt.Key_Backspace], self.redo_last), ([Qt.Key_Escape], self.canvas.clear),
                           ([QKeySequence("Ctrl+W")], self.close)):  # Escape clears the drawing: Ctrl+W closes
            for key in keys:
                sc = QShortcut(QKeySequence(key), self)
                sc.setContext(Qt.WidgetWithChildrenShortcut)
                sc.activated.connect(slot)

    def _not_saved(self, exc: Exception, asked: str) -> None:
        """Why the drawing was not saved, small, above what was asked: the drawing stays."""
        self.prompt.setText(f"<span style='font-size:14px; color:#b91c1c'>Not saved: {html.escape(str(exc))}</span>"
                            f"<br>Your drawing of {asked} is still here: press Enter to try again")

    # -- session ------------------------------------------------------------------------------
    def start(self) -> None:
        n = self.per_digit.value()
        if self.settings is not None:
            self.settings.writer_name = self.writer.text().strip()
        self.order = prompt_order(n, f"{self.writer.text()}:{n}")
        self.position = 0
        self.saved.clear()
        self.done = {d: 0 for d in range(10)}
        for bar in self.bars.values():
            bar.setRange(0, n)
            bar.setValue(0)
        self._start_numbers(n)
        self.canvas.setEnabled(True)
        for b in (self.save_button, self.skip_button, self.clear_button):
            b.setEnabled(True)
        self.canvas.reset()  # a new session: nothing of the last one, not even through undo
        self.canvas.setFocus()
        self._show_prompt()

    @property
    def current_digit(self) -> int | None:
        return self.order[self.position] if self.position < len(self.order) else None

    def _show_prompt(self) -> None:
        if self.number_session:
            self._show_number_prompt()
            return
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

    def save(self) -> int | list[int] | None:
        """The sample's id; in a session of numbers, the ids of the number's digits."""
        if self.number_session:
            return self._save_number()
        d = self.current_digit
        if d is None:
            return None
        ink = self.canvas.snapshot()
        pre = ink_to_mnist(ink)
        if pre.empty:
            self.prompt.setText(f"Nothing drawn yet: write the digit <b style='font-size:40px'>{d}</b>")
            return None
        if not self.asking and self._reads_as_another_digit(d):
            self._ask(self.reading[0], d)
            return None
        sample = Sample(label=d, image=np.round(pre.image * 255).astype(np.uint8), ink=ink,
                        writer=self.writer.text().strip(), device=self.device)
        try:
            sample_id = self.store.add(sample)  # committed before the next prompt appears
        except (DigitPadError, OSError, ValueError) as exc:
            self._not_saved(exc, f"the digit <b>{d}</b>")
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
        if self.number_session:
            self._skip_number()
            return
        if self.current_digit is None:
            return
        self.order.append(self.order.pop(self.position))  # ask for it again at the end
        self.canvas.clear()
        self._show_prompt()

    def redo_last(self) -> None:
        if self.number_session:
            self._redo_last_number()
            return
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

    def _reads_as_another_digit(self, digit: int) -> bool:
        """The live prediction is on and the model, answering for this very ink, reads another digit."""
        return (self.show_prediction.isChecked() and self.reading is not None and self.worker is not None
                and self.worker.is_answered(self.REQUESTER) and self.reading[0] != digit
                and self.reading[1] >= self.ASK_ABOVE)

    def _ask(self, read: int, digit: int) -> None:
        self.asking = True
        self.question.setText(f"Looks like a {read} — save as {digit}?")
        self.save_anyway.setText(f"Save as {digit} (Enter)")
        self.question_bar.show()

    def _stop_asking(self) -> None:
        self.asking = False
        self.question_bar.hide()

    def closeEvent(self, event) -> None:
        """The drawing not saved yet is dropped: reopened, the prompt starts on an empty canvas."""
        self.canvas.reset()
        super().closeEvent(event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.canvas.isEnabled():  # reopened mid-session: Enter, Space and Esc work at once
            self.canvas.setFocus()

    def _ink_changed(self) -> None:
        self.reading = None  # any reading was for the ink before this change
        self._stop_asking()
        if self.canvas._tablet_down:
            self.device = "tablet"
        if self.show_prediction.isChecked() and self.worker is not None and not self.canvas.document.is_empty:
            self.worker.submit(self.REQUESTER, ink=self.canvas.snapshot(), numbers=self.number_session)
        else:
            self.prediction.setText("")
            if self.worker is not None:
                self.worker.withdraw(self.REQUESTER)  # a late answer for the old ink must not reappear

    def show_prediction_result(self, result) -> None:
        if self.show_prediction.isChecked() and result.recognition is not None and not result.recognition.empty:
            r = result.recognition
            self.reading = (int(r.digit), float(r.confidence))
            self.prediction.setText(f"model reads: {r.digit} ({r.confidence * 100:.0f}%)")
            if self.number_session:  # digit by digit, as the main window reads a number
                read = "".join(str(d.recognition.digit) for d in result.digits) or str(r.digit)
                self.prediction.setText(f"model reads: {read}")

    # -- numbers ------------------------------------------------------------------------------
    def _start_numbers(self, per_digit: int) -> None:
        self.number_session = self.prompt_numbers.isChecked()
        self.saved_numbers.clear()
        self._number_rng = random.Random(f"{self.writer.text()}:{per_digit}:numbers")
        self.current_number = self._next_number() if self.number_session else None

    def _next_number(self) -> str | None:
        """A number made mostly of the digits still short of their count; None once none is."""
        needed = {d: bar.maximum() - self.done[d] for d, bar in self.bars.items()}
        return number_prompt(self._number_rng, needed) if any(n > 0 for n in needed.values()) else None

    def _show_number_prompt(self) -> None:
        number = self.current_number
        if number is None:
            total = sum(len(ids) for ids, _ in self.saved_numbers)
            self.prompt.setText(f"Done: {total} samples saved. Thank you!")
            self.canvas.setEnabled(False)
            for b in (self.save_button, self.skip_button, self.clear_button):
                b.setEnabled(False)
            self.finished.emit()
        else:
            self.prompt.setText(f"Write the number <b style='font-size:40px'>{number}</b> "
                                "&nbsp; (a little space between digits)")
        self.undo_button.setEnabled(bool(self.saved_numbers))

    def _count(self, number: str, step: int) -> None:
        for ch in number:
            d = int(ch)
            self.done[d] += step
            self.bars[d].setValue(min(self.done[d], self.bars[d].maximum()))

    def _save_number(self) -> list[int] | None:
        """Each digit of the drawing saved as its own sample; a drawing that does not split into as many
        digits as the prompt has is kept, and the prompt says why."""
        number = self.current_number
        if number is None:
            return None
        ink = self.canvas.snapshot()
        the_number = f"the number <b style='font-size:40px'>{number}</b>"
        if ink_to_mnist(ink).empty:
            self.prompt.setText(f"Nothing drawn yet: write {the_number}")
            return None
        try:
            samples = number_samples(ink, number, self.writer.text().strip(), self.device)
        except ValueError as exc:  # the drawing stays, to add space or redraw
            why = str(exc).replace(": ", ":<br>", 1)  # two short lines: the window must not widen for it
            self.prompt.setText(f"<span style='font-size:16px'>{why}.</span><br>Write {the_number}")
            return None
        ids: list[int] = []
        try:
            for sample in samples:
                ids.append(self.store.add(sample))  # each committed before the next prompt appears
        except (DigitPadError, OSError, ValueError) as exc:
            if ids:  # the whole number or none of it
                try:
                    self.store.set_deleted(ids)
                except (DigitPadError, OSError):
                    pass  # the store is failing: the message below says so
            self._not_saved(exc, the_number)
            return None
        self.saved_numbers.append((ids, number))
        self._count(number, +1)
        self.canvas.reset()  # a fresh drawing: undo must not bring back the saved number's strokes
        self.device = "mouse"
        for sample_id in ids:
            self.sampleSaved.emit(sample_id)
        self.current_number = self._next_number()
        self._show_prompt()
        return ids

    def _skip_number(self) -> None:
        if self.current_number is None:
            return
        self.current_number = self._next_number()
        self.canvas.clear()
        self._show_prompt()

    def _redo_last_number(self) -> None:
        """Take back the last saved number (all its digits) and ask for it again."""
        if not self.saved_numbers:
            return
        ids, number = self.saved_numbers.pop()
        self.store.set_deleted(ids)
        self._count(number, -1)
        self.current_number = number
        self.canvas.clear()
        self.canvas.setEnabled(True)
        for b in (self.save_button, self.skip_button, self.clear_button):
            b.setEnabled(True)
        self._show_prompt()
