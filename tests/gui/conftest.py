"""GUI fixtures: offscreen Qt, QSettings redirected to a temporary folder, dialogs recorded."""
from __future__ import annotations

import os

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
    from gui_support import open_window

    w = open_window(qtbot, settings, shipped_model)
    yield w
    w.close()
