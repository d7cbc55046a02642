""""Not a digit" as a user meets it: letters and scribbles drawn on the canvas are refused with the
signal that refused them; digits, a European 1 among them, are read; the thresholds panel sets the
new signal; a model is judged by the signals it has."""
import numpy as np
import pytest

from gui_support import drag, open_window, wait_for_answer
from digitpad.core.verdict import Verdict

# Strokes in a unit box (y down), drawn into the middle of the canvas.
DRAWINGS = {
    "A": [[(0.1, 1.0), (0.5, 0.0), (0.9, 1.0)], [(0.28, 0.6), (0.72, 0.6)]],
    "W": [[(0.0, 0.1), (0.25, 1.0), (0.5, 0.35), (0.75, 1.0), (1.0, 0.1)]],
    "spiral": [[(0.5 + 0.05 * t * np.cos(t), 0.5 + 0.05 * t * np.sin(t)) for t in np.linspace(0, 6 * np.pi, 120)]],
    "loops": [[(0.15 + 0.7 * u + 0.15 * np.cos(9 * np.pi * u), 0.5 + 0.3 * np.sin(9 * np.pi * u))
               for u in np.linspace(0, 1, 200)]],
    "hash": [[(0.3, 0.0), (0.25, 1.0)], [(0.7, 0.0), (0.65, 1.0)], [(0.0, 0.33), (1.0, 0.33)],
             [(0.0, 0.66), (1.0, 0.66)]],
    "7": [[(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)]],
    "european 1": [[(0.15, 0.4), (0.6, 0.0), (0.6, 1.0)]],
    "4": [[(0.6, 0.0), (0.05, 0.65), (0.9, 0.65)], [(0.65, 0.3), (0.65, 1.0)]],
    "0": [[(0.5 + 0.32 * np.sin(t), 0.5 - 0.5 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 60)]],
}


def draw(qtbot, window, name):
    c = window.canvas
    s = min(c.width(), c.height()) * 0.6
    x0, y0 = (c.width() - s) / 2, (c.height() - s) / 2
    for stroke in DRAWINGS[name]:
        drag(qtbot, c, [(x0 + s * x, y0 + s * y) for x, y in stroke])
    return wait_for_answer(qtbot, window)


@pytest.mark.parametrize("name", ["A", "W", "spiral", "loops", "hash"])
def test_letters_and_scribbles_are_refused_with_the_signal_that_refused_them(qtbot, window, name):
    draw(qtbot, window, name)
    assert window.verdict is Verdict.NOT_A_DIGIT, window.judgement
    text = window.verdict_label.text()
    assert "not a digit" in text and window.judgement.reason in text
    assert window.judgement.signal in ("digit_likeness", "reconstruction_error")


@pytest.mark.parametrize("name, digit", [("7", 7), ("european 1", 1), ("4", 4), ("0", 0)])
def test_drawn_digits_are_read(qtbot, window, name, digit):
    rec = draw(qtbot, window, name)
    assert window.verdict is Verdict.DIGIT and rec.digit == digit, (window.judgement, rec.digit)


def test_the_digit_likeness_threshold_is_calibrated_shown_and_adjustable(qtbot, window):
    calibrated = window.model.info.thresholds["digit_likeness"]
    assert window.likeness_spin.isEnabled() and window.likeness_spin.value() == pytest.approx(calibrated)
    assert "digit-likeness" in window.signals_label.text()
    draw(qtbot, window, "7")
    assert window.verdict is Verdict.DIGIT
    window.likeness_spin.setValue(1.0)  # nothing looks that much like a digit
    assert window.verdict is Verdict.NOT_A_DIGIT and window.judgement.signal == "digit_likeness"
    assert window.settings.thresholds_for(window.model.path)["digit_likeness"] == 1.0
    window.reset_thresholds.click()
    assert window.verdict is Verdict.DIGIT


def test_the_paper_models_panel_says_why_there_is_no_reconstruction(qtbot, settings, shipped_model):
    w = open_window(qtbot, settings, shipped_model.parent / "paper.keras")
    try:
        draw(qtbot, w, "7")
        assert w.model.has_reconstruction and w.thresholds.reconstruction_error is None
        assert "does not draw the digit back" in w.reconstruction.note.text()
        assert not w.error_spin.isEnabled() and not w.likeness_spin.isEnabled()
        assert w.signals_label.text() == "This model is judged by confidence."
        assert w.judgement.signals == ("confidence",)
    finally:
        w.close()
