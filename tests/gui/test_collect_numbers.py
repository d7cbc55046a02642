"""Issue 15, collected numbers: with "Prompt numbers" the Collect window asks for numbers of 2 to 4
digits and saves each digit as its own sample, labelled from the prompt; a drawing that does not
split into as many digits saves nothing, says why and stays on the canvas. No model is needed: the
split is by the strokes' places."""
from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt

from digitpad.core.sample_store import SampleStore
from digitpad.gui.collect import CollectionWidget, number_prompt
from gui_support import drag


@pytest.fixture
def store(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as s:
        yield s


@pytest.fixture
def collector(qtbot, store, settings):
    from PySide6.QtWidgets import QApplication

    w = CollectionWidget(store, None, settings=settings)
    qtbot.addWidget(w)
    w.resize(640, 640)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)  # Enter reaches it
    qtbot.keyClicks(w.writer, "ana")
    w.prompt_numbers.setChecked(True)
    w.per_digit.setValue(3)
    w.start_button.click()
    return w


def write_digits(qtbot, canvas, count: int) -> None:
    """``count`` digits side by side: a two-stroke cross, then one-stroke bars, alternately."""
    h = canvas.height() * 0.35
    w = min(0.6 * h, canvas.width() * 0.8 / count - 0.3 * h)
    gap = 0.3 * h
    x, y = (canvas.width() - count * w - (count - 1) * gap) / 2, (canvas.height() - h) / 2
    for k in range(count):
        if k % 2 == 0:
            drag(qtbot, canvas, [(x, y + h / 2), (x + w, y + h / 2)])
            drag(qtbot, canvas, [(x + w / 2, y), (x + w / 2, y + h)])
        else:
            drag(qtbot, canvas, [(x + w * 0.4, y), (x + w * 0.6, y + h)])
        x += w + gap


def test_number_prompts_have_2_to_4_digits_mostly_of_those_still_needed():
    rng = random.Random(1)
    prompts = [number_prompt(rng, {3: 10}) for _ in range(200)]
    assert all(2 <= len(p) <= 4 and p.isdigit() and p[0] != "0" for p in prompts)
    digits = "".join(prompts)
    assert digits.count("3") > 0.6 * len(digits)


def test_a_collected_number_is_saved_as_its_digits(qtbot, collector, store):
    w = collector
    number = w.current_number
    assert number and 2 <= len(number) <= 4 and number in w.prompt.text()
    write_digits(qtbot, w.canvas, len(number))
    strokes = len(w.canvas.document.strokes)
    qtbot.keyClick(w.canvas, Qt.Key_Return)

    saved = store.samples()
    assert [s.label for s in saved] == [int(c) for c in number]
    assert all(s.writer == "ana" and s.device == "mouse" and s.image.shape == (28, 28) for s in saved)
    assert sum(len(s.ink.strokes) for s in saved) == strokes  # every stroke went to one digit
    assert [len(s.ink.strokes) for s in saved] == [2 if k % 2 == 0 else 1 for k in range(len(number))]
    assert w.canvas.document.is_empty and w.current_number is not None
    for d in range(10):
        assert w.bars[d].value() == min(3, number.count(str(d)))

    qtbot.keyClick(w.canvas, Qt.Key_Backspace)  # takes back the whole number and asks for it again
    assert store.count() == 0 and w.current_number == number
    assert all(bar.value() == 0 for bar in w.bars.values())


def test_a_number_with_the_wrong_count_saves_nothing_and_says_why(qtbot, collector, store):
    w = collector
    w.current_number = "2026"  # as if prompted
    write_digits(qtbot, w.canvas, 3)
    strokes = len(w.canvas.document.strokes)
    qtbot.keyClick(w.canvas, Qt.Key_Return)
    assert store.count() == 0
    assert "I see 3 digits, not 4" in w.prompt.text() and "2026" in w.prompt.text()
    assert len(w.canvas.document.strokes) == strokes  # the drawing stays, to add the missing digit

    write_digits_at_right(qtbot, w.canvas)
    qtbot.keyClick(w.canvas, Qt.Key_Return)
    assert [s.label for s in store.samples()] == [2, 0, 2, 6]


def write_digits_at_right(qtbot, canvas) -> None:
    """One more bar near the right edge, clear of the digits already there."""
    x, h = canvas.width() * 0.93, canvas.height() * 0.35
    y = (canvas.height() - h) / 2
    drag(qtbot, canvas, [(x, y), (x + 4, y + h)])


def test_the_session_ends_when_every_digit_has_its_count(qtbot, collector, store):
    w = collector
    w.per_digit.setValue(1)
    w.start_button.click()
    seen = 0
    while w.current_number is not None and seen < 40:
        write_digits(qtbot, w.canvas, len(w.current_number))
        qtbot.keyClick(w.canvas, Qt.Key_Return)
        seen += 1
    assert w.current_number is None and "Done:" in w.prompt.text()
    labels = {s.label for s in store.samples()}
    assert labels == set(range(10))
    assert not w.canvas.isEnabled()
