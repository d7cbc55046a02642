"""The application icon, from ``resources/`` when present (source tree, bundle, install)."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon


def resources_dir() -> Path:
    candidates = [Path(__file__).resolve().parents[3] / "resources",
                  Path(sys.prefix) / "share" / "digitpad" / "resources"]
    if getattr(sys, "frozen", False):
        candidates.insert(0, Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "resources")
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0]


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
