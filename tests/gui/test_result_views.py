"""What the main window shows around an answer (issue 14, items 8, 10 and 11): thresholds while
the model loads, the status bar after Clear, the bar labels, Model Info and the preprocessing
stages."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from digitpad.core.model_info import read_info
from digitpad.core.verdict import Verdict
from digitpad.gui.panels import STAGE_TITLES, percent_label
from gui_support import drag, open_window, wait_for_answer
from support import ROOT


def a_one(canvas):
    w, h = canvas.width(), canvas.height()
    s = min(w, h) * 0.6
    x0, y0 = (w - s) / 2, (h - s) / 2
    return [(x0 + 0.35 * s, y0 + 0.2 * s), (x0 + 0.55 * s, y0), (x0 + 0.55 * s, y0 + s)]


# -- item 8 ----------------------------------------------------------------------------------------
def test_thresholds_show_a_dash_not_editable_zeros_until_the_model_is_loaded(qtbot, settings, shipped_model):
    from digitpad.gui.main_window import MainWindow

    w = MainWindow(settings=settings, model_path=str(shipped_model))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.start_worker()  # the model's arrival is a queued signal: nothing is loaded before the next wait
    spins = (w.confidence_spin, w.likeness_spin, w.error_spin)
    assert w.model is None
    assert [s.text() for s in spins] == ["—", "—", "—"]
    assert not any(s.isEnabled() for s in spins) and not w.reset_thresholds.isEnabled()

    qtbot.waitUntil(lambda: w.model is not None, timeout=60000)
    calibrated = read_info(shipped_model).thresholds
    assert w.confidence_spin.text() == f"{calibrated['confidence'] * 100:.1f} %"
    assert w.likeness_spin.text() == f"{calibrated['digit_likeness']:.4f}"
    assert all(s.isEnabled() for s in spins) and w.reset_thresholds.isEnabled()
    w.close()


def test_a_signal_the_model_lacks_shows_a_dash(qtbot, window):
    window.load_model(str(ROOT / "models" / "paper.keras"))
    qtbot.waitUntil(lambda: window.model.name == "paper", timeout=60000)
    assert window.error_spin.text() == "—" and not window.error_spin.isEnabled()  # its decoder is not used
    assert window.likeness_spin.text() == "—" and not window.likeness_spin.isEnabled()
    assert window.confidence_spin.isEnabled() and window.confidence_spin.text() != "—"


def test_clear_also_clears_the_last_latency(qtbot, window):
    drag(qtbot, window.canvas, a_one(window.canvas))
    wait_for_answer(qtbot, window)
    assert "recognised in" in window.latency_status.text()
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key_Escape)  # Clear
    qtbot.waitUntil(lambda: window.verdict is Verdict.EMPTY, timeout=3000)
    assert window.latency_status.text() == ""


def test_near_zero_bars_are_not_labelled_one_percent(qtbot, window):
    drag(qtbot, window.canvas, a_one(window.canvas))
    wait_for_answer(qtbot, window)
    texts = [label.textItem.toPlainText() for label in window.chart.labels]
    for h, text in zip(window.chart.heights, texts):
        assert text == percent_label(h)
        if h < 0.01:
            assert text in ("", "<1%")
    assert sum(bool(t) for t in texts) >= 1


@pytest.mark.parametrize("p, text", [(0.0, ""), (0.004, ""), (0.006, "<1%"), (0.0099, "<1%"), (0.012, "1%"),
                                     (0.5, "50%"), (0.994, "99%"), (0.996, ">99%"), (1.0, "100%")])
def test_bar_labels(p, text):
    assert percent_label(p) == text


def test_a_recognised_digit_is_shown_big_with_its_confidence(qtbot, window):
    drag(qtbot, window.canvas, a_one(window.canvas))
    rec = wait_for_answer(qtbot, window)
    assert window.verdict is Verdict.DIGIT
    shown = window.verdict_label.text()
    assert f">{rec.digit}</div>" in shown and "% sure" in shown and "draw a digit" not in shown


# -- item 10 ---------------------------------------------------------------------------------------
def test_model_info_is_written_for_people(qtbot, window, shipped_model):
    window.activateWindow()
    QTest.keyClick(window, Qt.Key_I, Qt.ControlModifier)
    qtbot.waitUntil(lambda: getattr(window, "model_info_dialog", None) is not None
                    and window.model_info_dialog.isVisible(), timeout=3000)
    text = window.model_info_dialog.browser.toPlainText()
    info = read_info(shipped_model)
    assert "Outputs: digit (10 classes), reconstruction (28x28 picture), digit-likeness" in text
    assert f"MNIST test accuracy {info.metrics['mnist_test_accuracy'] * 100:.2f}%" in text
    assert f"less than {info.thresholds['confidence'] * 100:.1f}% sure" in text
    assert f"digit-likeness is below {info.thresholds['digit_likeness']:.4f}" in text
    assert f"reconstruction error is above {info.thresholds['reconstruction_error']:.4f}" in text
    assert "MNIST: 55,000 digits" in text and "unipen-1a-digits.jsonl" in text
    assert "UNIPEN train_r01_v07 (International Unipen Foundation), CC-BY-4.0" in text  # the credit UNIPEN asks
    assert text.count("UNIPEN train_r01_v07") == 1  # once, with a note number per data set
    assert "LeCun" in text
    for key in list(info.metrics) + list(info.thresholds):  # no sidecar key shown as it is spelt in the file
        assert key not in text
    assert "{" not in text and "classes:" not in text


def test_model_info_of_the_paper_model(qtbot, window):
    window.load_model(str(ROOT / "models" / "paper.keras"))
    qtbot.waitUntil(lambda: window.model.name == "paper", timeout=60000)
    text = window.model_info_text()
    assert "Outputs: digit (10 classes), reconstruction (28x28 picture)" in text
    assert "digit-likeness" not in text
    assert "binarised at its mean brightness" in text and "enhanced (28 → 25 → 28 px)" in text
    assert "reconstruction error is not used" in text


# -- item 11 ---------------------------------------------------------------------------------------
def shown_stages(window):
    return [name for name, (view, caption) in window.stages.strip.views.items() if not view.isHidden()]


def test_preprocessing_shows_only_the_stages_that_ran_and_says_why(qtbot, window):
    window.tabs.setCurrentWidget(window.stages)
    drag(qtbot, window.canvas, a_one(window.canvas))
    wait_for_answer(qtbot, window)
    shown = shown_stages(window)
    assert shown == [STAGE_TITLES[s] for s in ("ink", "cropped", "scaled", "centred")]
    for name in shown:  # no empty box among them
        assert window.stages.strip.items[name].image is not None
    assert "without the research paper's optional binarising and enhancement" in window.stages.caption.text()
    assert shown[0] == "ink found" and "ruled lines are left out" in window.stages.toolTip()


def test_a_model_that_binarises_and_enhances_shows_those_stages(qtbot, window):
    window.load_model(str(ROOT / "models" / "paper.keras"))
    qtbot.waitUntil(lambda: window.model.name == "paper", timeout=60000)
    window.tabs.setCurrentWidget(window.stages)
    drag(qtbot, window.canvas, a_one(window.canvas))
    wait_for_answer(qtbot, window)
    assert shown_stages(window) == list(STAGE_TITLES.values())
    for name in shown_stages(window):
        assert window.stages.strip.items[name].image is not None
    assert "without" not in window.stages.caption.text()
    window.close()
