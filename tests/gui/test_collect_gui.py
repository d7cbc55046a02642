"""Issue 14, item 14: the Collect window remembers the writer, drops unsaved ink when closed, shows the
live reading as soon as it is ticked, and asks before saving a drawing the model reads as another
digit. The recogniser is a fake whose reading the test sets: no TensorFlow, no shipped model."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from digitpad.core.sample_store import SampleStore
from digitpad.gui.collect import CollectionWidget
from digitpad.gui.worker import RecognitionWorker
from gui_support import drag


class Reader:
    """Reads every drawing as ``digit`` with ``confidence``."""

    def __init__(self):
        self.digit, self.confidence = 7, 0.93

    def recognise_ink(self, ink, keep_stages=False):
        return SimpleNamespace(digit=self.digit, confidence=self.confidence, empty=False)


@pytest.fixture
def reader(qtbot):
    worker = RecognitionWorker()
    fake = Reader()
    worker.use_recognizer(fake).result(timeout=5)
    fake.worker = worker
    yield fake
    worker.shutdown()


@pytest.fixture
def store(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as s:
        yield s


def _open(qtbot, store, reader, settings):
    w = CollectionWidget(store, reader.worker, settings=settings)
    qtbot.addWidget(w)
    w.resize(600, 640)
    w.show()
    _wait_active(qtbot, w)
    return w


def _wait_active(qtbot, w):
    """Shortcuts (Enter, Esc) reach a window only once it is active, which takes a turn of the event loop."""
    from PySide6.QtWidgets import QApplication

    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)


def _draw(qtbot, w):
    c = w.canvas
    drag(qtbot, c, [(c.width() * 0.3, c.height() * 0.3), (c.width() * 0.7, c.height() * 0.3),
                    (c.width() * 0.45, c.height() * 0.8)])


def test_the_writer_name_is_remembered(qtbot, store, reader, settings):
    w = _open(qtbot, store, reader, settings)
    qtbot.keyClicks(w.writer, "ana")
    w.start_button.click()
    w.close()
    again = _open(qtbot, store, reader, settings)
    assert again.writer.text() == "ana" and settings.writer_name == "ana"


def test_closing_drops_the_unsaved_drawing(qtbot, store, reader, settings):
    w = _open(qtbot, store, reader, settings)
    w.start_button.click()
    prompt = w.current_digit
    _draw(qtbot, w)
    assert not w.canvas.document.is_empty
    w.close()
    w.show()  # reopened (Ctrl+K shows the same window again)
    _wait_active(qtbot, w)
    assert w.canvas.document.is_empty and not w.canvas.document.can_undo()
    assert w.current_digit == prompt
    qtbot.keyClick(w.canvas, Qt.Key_Return)
    assert store.count() == 0 and "Nothing drawn yet" in w.prompt.text()


def test_ticking_the_live_prediction_shows_the_reading_at_once(qtbot, store, reader, settings):
    w = _open(qtbot, store, reader, settings)
    w.start_button.click()
    _draw(qtbot, w)
    qtbot.wait(50)
    assert w.prediction.text() == ""  # hidden while unticked
    w.show_prediction.click()
    qtbot.waitUntil(lambda: w.prediction.text() == "model reads: 7 (93%)", timeout=3000)  # no new stroke needed
    w.show_prediction.click()
    assert w.prediction.text() == ""


def test_enter_asks_before_saving_a_drawing_read_as_another_digit(qtbot, store, reader, settings):
    w = _open(qtbot, store, reader, settings)
    w.per_digit.setValue(2)
    w.show_prediction.setChecked(True)
    w.start_button.click()
    prompt = w.current_digit
    reader.digit = (prompt + 3) % 10
    _draw(qtbot, w)
    qtbot.waitUntil(lambda: w.reading is not None, timeout=3000)

    qtbot.keyClick(w.canvas, Qt.Key_Return)
    assert store.count() == 0 and w.question_bar.isVisible()
    assert w.question.text() == f"Looks like a {reader.digit} — save as {prompt}?"
    qtbot.keyClick(w.canvas, Qt.Key_Escape)  # Redraw
    assert w.canvas.document.is_empty and not w.question_bar.isVisible() and store.count() == 0

    _draw(qtbot, w)
    qtbot.waitUntil(lambda: w.reading is not None, timeout=3000)
    qtbot.keyClick(w.canvas, Qt.Key_Return)
    assert w.question_bar.isVisible()
    qtbot.keyClick(w.canvas, Qt.Key_Return)  # Save: the writer knows best
    assert store.count() == 1 and store.samples()[0].label == prompt and not w.question_bar.isVisible()

    reader.digit = w.current_digit  # read as the digit asked for: saved at once
    _draw(qtbot, w)
    qtbot.waitUntil(lambda: w.reading is not None, timeout=3000)
    qtbot.keyClick(w.canvas, Qt.Key_Return)
    assert store.count() == 2 and not w.question_bar.isVisible()


def test_without_the_live_prediction_enter_never_asks(qtbot, store, reader, settings):
    w = _open(qtbot, store, reader, settings)
    w.start_button.click()
    reader.digit = (w.current_digit + 1) % 10
    _draw(qtbot, w)
    qtbot.wait(100)
    qtbot.keyClick(w.canvas, Qt.Key_Return)
    assert store.count() == 1 and not w.question_bar.isVisible()
