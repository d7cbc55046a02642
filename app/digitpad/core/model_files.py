"""Where the shipped models live (source checkout, installed package, bundle), and what a model
file must look like before anything tries to load it."""
from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

from .errors import ModelFileError
from .input_files import regular_size

DEFAULT_MODEL = "digitpad-default.keras"
PAPER_MODEL = "paper.keras"
ENV_VAR = "DIGITPAD_MODELS"
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
#: Why a SavedModel folder is refused unless its author is trusted (the CLI's ``--trust-model``,
#: a confirmation in the app).
UNTRUSTED_SAVEDMODEL = ("a TensorFlow SavedModel folder runs the TensorFlow program stored in it, which can read "
                        "and write your files; open it only if you trust its author (--trust-model), or use a "
                        ".keras file, which loads without running code")
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: A .keras archive is opened only if it unpacks to no more than this (the shipped default: 7 MB)...
MAX_UNPACKED_BYTES = 2_000_000_000
#: ...its JSON (the architecture, the metadata) to no more than this...
MAX_JSON_BYTES = 50_000_000
#: ...and no large member is packed tighter than this: weights barely compress, a zip bomb does.
MAX_PACKING = 50


def _check_archive(path: Path) -> None:
    """Refuse a .keras zip that would unpack into gigabytes (a zip bomb) before anything reads it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelFileError(f"not a readable .keras archive ({exc})", path) from None
    total = sum(m.file_size for m in members)
    for m in members:
        if m.filename.endswith(".json") and m.file_size > MAX_JSON_BYTES:
            raise ModelFileError(f"not a plausible model: its {m.filename} unpacks to {m.file_size:,} bytes", path)
        packing = m.file_size // max(m.compress_size, 1)
        if m.file_size > 10_000_000 and packing > MAX_PACKING:
            raise ModelFileError(f"not a plausible model: its {m.filename} is packed {packing:,} times tighter than "
                                 "weights can be (a zip bomb?)", path)
    if total > MAX_UNPACKED_BYTES:
        raise ModelFileError(f"too large: it unpacks to {total:,} bytes (at most {MAX_UNPACKED_BYTES:,})", path)


def check_model_path(path: Path, trust: bool = False) -> str:
    """What kind of model ``path`` is: ``"keras"`` (a .keras zip), ``"h5"`` or ``"savedmodel"``.

    Raises :class:`ModelFileError` for what is plainly not a model (missing, empty, the wrong
    suffix, a renamed or truncated file) and for a SavedModel folder unless ``trust``: these
    checks need no TensorFlow, so a bad file is reported at once.
    """
    if not path.exists():
        raise ModelFileError("no such model file", path)
    if path.is_dir():
        if not (path / "saved_model.pb").exists():
            raise ModelFileError("folder is not a SavedModel (no saved_model.pb)", path)
        if not trust:
            raise ModelFileError(UNTRUSTED_SAVEDMODEL, path)
        return "savedmodel"
    suffix = path.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise ModelFileError(f"unsupported model type '{path.suffix}' (use .keras, .h5 or a SavedModel folder)", path)
    try:
        size = regular_size(path)
    except OSError as exc:
        raise ModelFileError(f"cannot read ({exc.strerror or exc})", path) from None
    if size == 0:
        raise ModelFileError("model file is empty", path)
    if suffix == ".keras":
        if not zipfile.is_zipfile(path):
            raise ModelFileError("not a .keras file: it is not a zip archive (truncated, or another format renamed)",
                                 path)
        _check_archive(path)
        return "keras"
    with open(path, "rb") as fh:
        if fh.read(8) != _HDF5_MAGIC:
            raise ModelFileError("not an HDF5 (.h5) model file (truncated, or another format renamed)", path)
    return "h5"


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
