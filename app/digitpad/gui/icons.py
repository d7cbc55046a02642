"""The application icon, from ``resources/`` when present (source tree, bundle, install)."""
from __future__ import annotations

from PySide6.QtGui import QIcon

from ..core.model_files import resources_dir


def app_icon() -> QIcon:
    icon = QIcon()
    base = resources_dir() / "icons"
    for size in (16, 32, 48, 64, 128, 256):
        png = base / f"digitpad-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
    svg = base / "digitpad.svg"
    if svg.is_file():
        icon.addFile(str(svg))
    return icon
