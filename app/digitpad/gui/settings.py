"""One settings object over QSettings. Tests point QSettings at a temporary folder
(``tests/gui/conftest.py``), so they never touch the user's real settings."""
from __future__ import annotations

import json
import os

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

ORGANIZATION = "DigitPad"
APPLICATION = "DigitPad"
MAX_RECENT = 8


class AppSettings:
    def __init__(self, qsettings: QSettings | None = None):
        # Ini format everywhere, so QSettings.setPath (tests, benchmarks) redirects it.
        self._s = qsettings or QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, APPLICATION)

    def _get(self, key: str, default, kind):
        value = self._s.value(key, default)
        try:
            return kind(value)
        except (TypeError, ValueError):
            return default

    @property
    def brush_size(self) -> float:
        return self._get("canvas/brush_size", 18.0, float)

    @brush_size.setter
    def brush_size(self, value: float) -> None:
        self._s.setValue("canvas/brush_size", float(value))

    @property
    def dark_canvas(self) -> bool:
        return str(self._s.value("canvas/dark", "true")).lower() in ("true", "1")

    @dark_canvas.setter
    def dark_canvas(self, value: bool) -> None:
        self._s.setValue("canvas/dark", "true" if value else "false")

    @property
    def last_model(self) -> str | None:
        value = self._s.value("model/last", "")
        return str(value) or None

    @last_model.setter
    def last_model(self, path: str | None) -> None:
        self._s.setValue("model/last", path or "")

    @property
    def recent_models(self) -> list[str]:
        raw = self._s.value("model/recent", "[]")
        try:
            items = json.loads(raw) if isinstance(raw, str) else list(raw or [])
        except ValueError:
            return []
        return [str(p) for p in items][:MAX_RECENT]

    def add_recent_model(self, path: str) -> None:
        items = [path] + [p for p in self.recent_models if p != path]
        self._s.setValue("model/recent", json.dumps(items[:MAX_RECENT]))

    @property
    def mnist_path(self) -> str | None:
        """Where the user showed MNIST to be (an .npz or an IDX folder), for fine-tuning."""
        return str(self._s.value("data/mnist", "")) or None

    @mnist_path.setter
    def mnist_path(self, path: str | None) -> None:
        self._s.setValue("data/mnist", path or "")

    @property
    def writer_name(self) -> str:
        """The name the Collect window last collected under."""
        return str(self._s.value("collect/writer", "") or "")

    @writer_name.setter
    def writer_name(self, name: str) -> None:
        self._s.setValue("collect/writer", name)

    def dialog_folder(self) -> str:
        """Where Open and Save dialogs start: the folder last used in one, else the user's
        Documents folder, else the home folder."""
        last = str(self._s.value("dialogs/folder", "") or "")
        if last and os.path.isdir(last):
            return last
        documents = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation)
        return documents if documents and os.path.isdir(documents) else os.path.expanduser("~")

    def remember_dialog_path(self, path: str) -> None:
        """A file or folder chosen in a dialog: the next dialog starts in its folder."""
        folder = path if os.path.isdir(path) else os.path.dirname(path)
        if folder:
            self._s.setValue("dialogs/folder", os.path.abspath(folder))

    def thresholds_for(self, model_path: str) -> dict | None:
        raw = self._s.value("thresholds/" + _key(model_path), "")
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def set_thresholds_for(self, model_path: str, values: dict | None) -> None:
        if values is None:
            self._s.remove("thresholds/" + _key(model_path))
        else:
            self._s.setValue("thresholds/" + _key(model_path), json.dumps(values))

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        return self._s.value("window/geometry"), self._s.value("window/state")

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)
        self._s.setValue("window/state", state)

    def sync(self) -> None:
        self._s.sync()


def _key(path: str) -> str:
    return path.replace("/", "|").replace("\\", "|")
