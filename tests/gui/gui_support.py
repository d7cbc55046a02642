"""Driving the app like a user in pytest-qt tests."""
from __future__ import annotations

import numpy as np


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
    qtbot.waitUntil(lambda: window.worker.is_answered(window.REQUESTER) and window.last_result is not None,
                    timeout=timeout)
    return window.last_result.recognition


def open_window(qtbot, settings, model_path, store_path=None):
    """The main window shown, its worker started and the model loaded."""
    from digitpad.gui.main_window import MainWindow

    w = MainWindow(settings=settings, model_path=str(model_path), store_path=store_path)
    qtbot.addWidget(w)
    w.resize(1000, 640)
    w.show()
    qtbot.waitExposed(w)
    w.start_worker()
    qtbot.waitUntil(lambda: w.model is not None, timeout=60000)
    return w
