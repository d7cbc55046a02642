"""Start-up: show the window first, then let the worker load the model (without TensorFlow when it can)."""
from __future__ import annotations

import os
import sys
import time

_START = time.perf_counter()


def run(model: str | None = None, argv: list[str] | None = None, store: str | None = None,
        mnist: str | None = None) -> int:
    from ..core.system_requirements import check_qt_platform

    problem = check_qt_platform()  # instead of Qt's abort (exit 134) on a system without X11 libraries
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .settings import APPLICATION, ORGANIZATION

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setStyle("Fusion")
    from .icons import app_icon

    app.setWindowIcon(app_icon())
    from .main_window import MainWindow

    window = MainWindow(model_path=model, store_path=store, mnist_path=mnist)
    window.show()
    if os.environ.get("DIGITPAD_EXIT_WHEN_SHOWN"):  # bench/startup.py measures time to a visible window
        def report():
            print(f"window-shown {time.perf_counter() - _START:.4f} visible={window.isVisible()}", flush=True)
            app.quit()
        QTimer.singleShot(0, report)
    else:
        QTimer.singleShot(0, window.start_worker)
    return app.exec()
