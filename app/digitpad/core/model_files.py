"""Where the shipped models live, for a source checkout and for an installed package."""
from __future__ import annotations

import os
import sys
from pathlib import Path

DEFAULT_MODEL = "digitpad-default.keras"
PAPER_MODEL = "paper.keras"
ENV_VAR = "DIGITPAD_MODELS"


def models_dirs() -> list[Path]:
    dirs = []
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]))
    dirs.append(Path(__file__).resolve().parents[3] / "models")  # source tree / editable install
    dirs.append(Path(sys.prefix) / "share" / "digitpad" / "models")  # pip install . (data-files)
    if getattr(sys, "frozen", False):  # PyInstaller bundle
        dirs.append(Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "models")
    return dirs


def resources_dir() -> Path:
    """``resources/`` of a source tree, an installed package or a bundle (the first that exists)."""
    candidates = [Path(__file__).resolve().parents[3] / "resources",
                  Path(sys.prefix) / "share" / "digitpad" / "resources"]
    if getattr(sys, "frozen", False):
        candidates.insert(0, Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "resources")
    return next((c for c in candidates if c.is_dir()), candidates[0])


def samples_dir() -> Path:
    return resources_dir() / "samples"


def shipped_model(name: str = DEFAULT_MODEL) -> Path:
    """The first existing shipped model called ``name`` (or the first candidate, for messages)."""
    candidates = [d / name for d in models_dirs()]
    for path in candidates:
        if path.exists():
            return path
    return candidates[0]
