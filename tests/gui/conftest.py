"""GUI fixtures: offscreen Qt, QSettings redirected to a temporary folder, dialogs recorded."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["DIGITPAD_NO_DIALOGS"] = "1"


@pytest.fixture(scope="session", autouse=True)
def isolated_qsettings(tmp_path_factory):
    from PySide6.QtCore import QSettings

    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    for scope in (QSettings.UserScope, QSettings.SystemScope):
        QSettings.setPath(QSettings.IniFormat, scope, str(folder))
    return folder


@pytest.fixture
def settings(isolated_qsettings, tmp_path):
    from PySide6.QtCore import QSettings

    from digitpad.gui.settings import AppSettings

    return AppSettings(QSettings(str(tmp_path / "digitpad.ini"), QSettings.IniFormat))


@pytest.fixture
def window(qtbot, settings, shipped_model):
    from digitpad.gui.main_window import MainWindow

    w = MainWindow(settings=settings, model_path=str(shipped_model))
    qtbot.addWidget(w)
    w.resize(1000, 640)
    w.show()
    qtbot.waitExposed(w)
    w.start_worker()
    qtbot.waitUntil(lambda: w.model is not None, timeout=60000)
    yield w
    w.close()


def drag(qtbot, widget, points, settle_ms: int = 0):
    """Press, move with the button held, release: like a user (labelme's drag_canvas)."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    def send(kind, x, y, button, buttons):
        pos = QPointF(float(x), float(y))
        QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons,
                                                   Qt.NoModifier))

    pts = np.asarray(points, float)
    send(QEvent.MouseButtonPress, *pts[0], Qt.LeftButton, Qt.LeftButton)
    for a, b in zip(pts[:-1], pts[1:]):
        steps = max(2, int(np.hypot(*(b - a)) / 6))
        for t in np.linspace(0, 1, steps)[1:]:
            send(QEvent.MouseMove, *(a + (b - a) * t), Qt.NoButton, Qt.LeftButton)
    send(QEvent.MouseButtonRelease, *pts[-1], Qt.LeftButton, Qt.NoButton)
    if settle_ms:
        qtbot.wait(settle_ms)


def wait_for_answer(qtbot, window, timeout=5000):
    """Wait until the window shows the result for the latest drawing."""
    qtbot.waitUntil(lambda: window._shown_id >= window._latest_id and window.last_result is not None, timeout=timeout)
    return window.last_result.recognition
