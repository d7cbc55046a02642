"""The real main window on the shipped model, with throw-away settings, for GUI benchmarks."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
os.environ["DIGITPAD_NO_DIALOGS"] = "1"


def open_main_window(width: int, height: int):
    """(QApplication, MainWindow) once the model is loaded and warm."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(ROOT / "bench" / "out" / "qsettings"))
    app = QApplication.instance() or QApplication([])
    app.setStyle("Fusion")
    from digitpad.core.model_files import shipped_model
    from digitpad.gui.icons import app_icon
    from digitpad.gui.main_window import MainWindow

    app.setWindowIcon(app_icon())
    window = MainWindow(model_path=str(shipped_model()))
    window.resize(width, height)
    window.show()
    window.start_worker()
    while window.model is None:
        app.processEvents()
        time.sleep(0.01)
    return app, window
