"""Ctrl+Q closes every DigitPad window and ends the process; during a fine-tuning it asks first
(issue 14, item 4)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from support import ROOT


@pytest.fixture
def quit_calls(monkeypatch):
    """QApplication.quit, recorded: the test session's application must live on."""
    calls = []
    monkeypatch.setattr(QApplication, "quit", staticmethod(lambda: calls.append(True)))
    return calls


def press_ctrl_q(qtbot, widget):
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=3000)
    QTest.keyClick(widget, Qt.Key_Q, Qt.ControlModifier)


def test_ctrl_q_in_the_collect_window_closes_every_window(qtbot, window, tmp_path, quit_calls):
    window.store_path = str(tmp_path / "mine.sqlite")
    window.open_dataset()
    window.open_collection()
    windows = [window, window.dataset_window, window.collection_window]
    assert all(w.isVisible() for w in windows)

    press_ctrl_q(qtbot, window.collection_window)
    qtbot.waitUntil(lambda: not any(w.isVisible() for w in windows), timeout=3000)
    assert quit_calls == [True]


class FakeJob(QObject):
    """A fine-tuning that runs until it is cancelled, then stops when the test says so."""
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self):
        super().__init__()
        self.cancel_requested = False
        self.running = True

    def cancel(self):
        self.cancel_requested = True

    def is_running(self):
        return self.running


def answer(qtbot, window, button):
    qtbot.waitUntil(lambda: window.quit_question is not None and window.quit_question.isVisible(), timeout=3000)
    box = window.quit_question
    assert box.text() == "Stop fine-tuning and quit?"
    box.button(button).click()


def test_ctrl_q_during_fine_tuning_asks_and_stops_the_run_cleanly(qtbot, window, quit_calls):
    job = FakeJob()
    window.finetuning.job = job

    press_ctrl_q(qtbot, window)
    answer(qtbot, window, QMessageBox.No)  # "Keep Fine-tuning"
    qtbot.wait(50)
    assert window.isVisible() and not job.cancel_requested and not quit_calls

    press_ctrl_q(qtbot, window)
    answer(qtbot, window, QMessageBox.Yes)  # "Stop and Quit"
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
    assert job.cancel_requested
    job.failed.emit("training cancelled; nothing was saved")  # what the stopping run says, unheard
    qtbot.wait(300)
    assert not quit_calls  # the process waits for the run to stop
    assert window.last_error is None and QApplication.activeModalWidget() is None
    assert not QApplication.quitOnLastWindowClosed()  # closing the windows did not end the event loop
    job.running = False
    qtbot.waitUntil(lambda: quit_calls == [True], timeout=3000)
    assert QApplication.quitOnLastWindowClosed()
    window.finetuning.job = None  # the fixture's own close


def test_a_run_that_does_not_stop_in_time_does_not_keep_the_process(qtbot, window, quit_calls, monkeypatch):
    """Preparing data in worker processes cannot be interrupted: after a while the process ends anyway."""
    from digitpad.gui.main_window import MainWindow

    ended = []
    monkeypatch.setattr(MainWindow, "_end_process_now", staticmethod(lambda: ended.append(True)))
    monkeypatch.setattr(MainWindow, "QUIT_WAIT_S", 0.5)
    job = FakeJob()
    window.finetuning.job = job
    press_ctrl_q(qtbot, window)
    answer(qtbot, window, QMessageBox.Yes)
    qtbot.waitUntil(lambda: ended == [True], timeout=3000)
    assert job.cancel_requested and job.running and not window.isVisible()
    assert QApplication.quitOnLastWindowClosed()
    window.finetuning.job = None


def test_closing_the_window_during_fine_tuning_asks_too(qtbot, window, quit_calls):
    job = FakeJob()
    window.finetuning.job = job
    window.close()
    answer(qtbot, window, QMessageBox.No)
    assert window.isVisible() and not job.cancel_requested
    window.finetuning.job = None


def test_ctrl_q_ends_the_process_with_other_windows_open(tmp_path):
    """The real thing, in its own process: My Samples and Collect open, Ctrl+Q, the process ends."""
    script = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QSettings, Qt, QTimer
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from digitpad.gui.main_window import MainWindow
        from digitpad.gui.settings import AppSettings
        w = MainWindow(settings=AppSettings(QSettings(sys.argv[1] + "/s.ini", QSettings.IniFormat)),
                       store_path=sys.argv[1] + "/mine.sqlite")
        w.show()
        w.open_dataset()
        w.open_collection()
        def press():
            c = w.collection_window
            c.activateWindow()
            QTest.keyClick(c, Qt.Key_Q, Qt.ControlModifier)
        QTimer.singleShot(500, press)
        QTimer.singleShot(20000, lambda: app.exit(7))  # Ctrl+Q did not end it
        print("exec returned", app.exec(), flush=True)
    """)
    env = {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT / "app"), "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "exec returned 0" in done.stdout, done.stderr
