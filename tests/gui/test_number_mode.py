"""Issue 15 in the app: several digits written side by side are read as a number, with a box per
digit on the canvas; a click on a digit's tab shows that digit in the panels; undo and the eraser
take the window back to one digit. Driven with synthetic mouse strokes and the shipped model."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from digitpad.core.verdict import Verdict
from gui_support import drag, wait_for_answer

# Strokes of each digit in a unit box (x right, y down); drawn 0.6 as wide as tall.
DIGITS = {
    "1": [[(0.2, 0.2), (0.55, 0.0), (0.55, 1.0)]],
    "4": [[(0.65, 0.0), (0.0, 0.65), (1.0, 0.65)], [(0.72, 0.3), (0.72, 1.0)]],
    "7": [[(0.0, 0.0), (1.0, 0.0), (0.35, 1.0)]],
}


def write(qtbot, canvas, text: str) -> list[tuple[float, float, float, float]]:
    """Write ``text`` digit by digit, left to right, across the middle of the canvas; returns each
    digit's box (x0, y0, x1, y1) in canvas pixels."""
    h = min(canvas.width(), canvas.height()) * 0.4
    w, gap = 0.6 * h, 0.4 * h
    x = (canvas.width() - len(text) * w - (len(text) - 1) * gap) / 2
    y = (canvas.height() - h) / 2
    boxes = []
    for ch in text:
        for stroke in DIGITS[ch]:
            drag(qtbot, canvas, [(x + px * w, y + py * h) for px, py in stroke])
        boxes.append((x, y, x + w, y + h))
        x += w + gap
    return boxes


def _inside(inner, outer) -> bool:
    return outer.contains(inner.adjusted(1, 1, -1, -1))


def test_a_number_gets_a_box_per_digit_and_a_click_shows_that_digit(qtbot, window):
    from PySide6.QtCore import QRectF

    boxes = write(qtbot, window.canvas, "47")
    wait_for_answer(qtbot, window)
    mode = window.number_mode
    assert mode.active and mode.number == "47"
    assert len(window.last_result.digits) == 2
    assert mode.label.isVisible() and not window.verdict_label.isVisible()
    text = mode.label.text()
    assert ">4<" in text and ">7<" in text and "below: digit 1 of 2, read as 4" in text
    # each box holds its digit's strokes, and the two do not overlap
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        assert _inside(QRectF(x0, y0, x1 - x0, y1 - y0), mode.box_rect(k))
    assert mode.box_rect(0).right() < mode.box_rect(1).left()
    # by default the panels show the first digit
    assert mode.selected == 0 and window.chart.heights.argmax() == 4

    strokes = len(window.canvas.document.strokes)
    with qtbot.waitSignal(mode.selectionChanged, timeout=2000):
        qtbot.mouseClick(window.canvas, Qt.LeftButton, pos=mode.tab_rect(1).center().toPoint())
    assert len(window.canvas.document.strokes) == strokes  # the click drew nothing
    assert mode.selected == 1
    second = window.last_result.digits[1].recognition
    assert second.digit == 7
    assert window.chart.heights.argmax() == 7
    np.testing.assert_allclose(window.chart.heights, second.probabilities)
    shown = window.reconstruction.strip.items["model input"].image
    np.testing.assert_allclose(shown, second.preprocessed.image)
    assert "below: digit 2 of 2, read as 7" in mode.label.text()

    mode.label.linkActivated.emit("0")  # a click on the first digit of the big number
    assert mode.selected == 0 and window.chart.heights.argmax() == 4


def test_undo_and_the_eraser_bring_back_one_digit(qtbot, window):
    boxes = write(qtbot, window.canvas, "47")
    wait_for_answer(qtbot, window)
    assert window.number_mode.number == "47"

    window.actions_.undo.trigger()  # the 7 goes: a two-stroke 4 is one digit, not "41"
    rec = wait_for_answer(qtbot, window)
    assert not window.number_mode.active and window.number_mode.number == ""
    assert window.verdict_label.isVisible() and not window.number_mode.label.isVisible()
    assert rec.digit == 4 and window.verdict is Verdict.DIGIT and window.chart.heights.argmax() == 4

    window.actions_.redo.trigger()
    wait_for_answer(qtbot, window)
    assert window.number_mode.number == "47"

    window.actions_.eraser.setChecked(True)  # erase the 7 by touching its bar
    x0, y0, x1, _ = boxes[1]
    drag(qtbot, window.canvas, [((x0 + x1) / 2, y0), ((x0 + x1) / 2 + 1, y0 + 1)])
    wait_for_answer(qtbot, window)
    assert len(window.canvas.document.strokes) == 2 and not window.number_mode.active
    assert window.last_result.recognition.digit == 4


def test_boxes_follow_the_ink_and_a_doubtful_digit_is_marked(qtbot, window):
    write(qtbot, window.canvas, "471")
    wait_for_answer(qtbot, window)
    mode = window.number_mode
    assert mode.number == "471" and len(mode.digits) == 3
    assert mode.box_rect(1).right() < mode.box_rect(2).left()

    mode.select(2)
    window.confidence_spin.setValue(100.0)  # nothing is sure now: every digit is marked
    assert all(j.verdict is Verdict.NOT_SURE for j in mode.judgement.judgements)
    assert mode.selected == 2  # the chosen digit stays chosen when the thresholds change
    assert "not sure of digits 1, 2 and 3" in mode.label.text()
    from digitpad.gui.number_view import tab_text

    assert tab_text(mode.digits[0], Verdict.NOT_SURE).startswith("4?")
    from digitpad.gui.panels import ACCENT

    assert all(b.color().name() != ACCENT for b in window.chart.bars.opts["brushes"])  # no winner highlighted


def test_a_face_is_not_a_number(qtbot, window):
    """Four strokes one inside the other are not digits side by side: the window reads the drawing
    as one thing, as before number mode."""
    c = window.canvas
    cx, cy, r = c.width() / 2, c.height() / 2, min(c.width(), c.height()) * 0.3
    t = np.linspace(0, 2 * np.pi, 60)
    drag(qtbot, c, list(zip(cx + r * np.cos(t), cy + r * np.sin(t))))
    drag(qtbot, c, [(cx - r * 0.4, cy - r * 0.3), (cx - r * 0.35, cy - r * 0.25)])
    drag(qtbot, c, [(cx + r * 0.4, cy - r * 0.3), (cx + r * 0.45, cy - r * 0.25)])
    m = np.linspace(0.3, np.pi - 0.3, 25)
    drag(qtbot, c, list(zip(cx + r * 0.5 * np.cos(m), cy + r * 0.3 + r * 0.3 * np.sin(m))))
    wait_for_answer(qtbot, window)
    assert not window.number_mode.active and window.verdict_label.isVisible()
