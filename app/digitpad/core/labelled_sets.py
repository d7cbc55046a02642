"""Labelled digit sets for ``evaluate``: an .npz, a CSV of pixel rows, an IDX folder, a folder of
images, or ink JSON Lines with a ``label`` key (``unipen.jsonl``, or some of its records:
``unipen.jsonl:part=test``).

A folder of images is labelled either by sub-folders named 0-9 ("sorted by label") or by a
file name that starts with the digit ("7_anna.png", "7-003.jpg", "7.png"). Inks are read by
``sample_formats`` (one JSON Lines reader for the whole app) and recognised as ``predict``
recognises them: drawn by the ink path, never run through the picture preprocessing.
"""
from __future__ import annotations

import os
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import mnist_data
from .errors import DataFormatError, DataNotFoundError
from .input_files import check_file_or_folder, regular_size
from .idx import read_idx
from .images import IMAGE_SUFFIXES, read_image, visible_files
from .ink import Ink

_LABEL_IN_NAME = re.compile(r"^(\d)(?:\D|$)")


@dataclass(frozen=True)
class LabelledSet:
    images: list[np.ndarray] | np.ndarray  # raw pictures of any size, or (N, 28, 28) uint8
    labels: np.ndarray
    source: str
    names: list[str] | None = None
    #: An ink set: ``images`` are already model inputs (28x28 uint8, default preprocessing) and
    #: these are the inks they were drawn from, which a recogniser draws again with its own
    #: preprocessing settings, exactly as ``predict`` does. None for a sample that came as a
    #: picture (a sample store holds both): its model input is used as it is.
    inks: list[Ink | None] | None = None
    #: A sample store's ids of the digits, which reports show as "#id", as the Samples view does
    #: (None: a digit is known by its position in the set).
    ids: np.ndarray | None = None

    @property
    def model_inputs(self) -> bool:
        """True when ``images`` are drawn inks, not pictures for the picture preprocessing."""
        return self.inks is not None


_LABEL_COLUMNS = ("label", "labels", "class", "digit", "target", "y")
MAX_CSV_BYTES = 500_000_000  # MNIST's training set as CSV is 110 MB


def pixel_csv(path: Path) -> LabelledSet:
    """Pictures as rows of pixel values and a label column, as Kaggle's MNIST writes them (a
    header with ``label`` and ``pixel0``...) or the headerless MNIST CSV (the label first; or
    last, when only the last column holds digits of more than one kind)."""
    try:
        if regular_size(path) > MAX_CSV_BYTES:
            raise DataFormatError(f"too large for a table of digits (over {MAX_CSV_BYTES // 1_000_000} MB)", path)
        with open(path, encoding="utf-8-sig") as fh:
            line = fh.readline()
        if not line.strip():
            raise DataFormatError("empty: no header and no rows", path)
        sep = max(",;\t", key=line.count)
        first = [cell.strip().strip('"').lower() for cell in line.split(sep)]
        header = not all(re.fullmatch(r"[-+]?\d+(\.\d*)?", cell) for cell in first)
        if header and not set(first) & set(_LABEL_COLUMNS):
            raise DataFormatError(f"no label column (looked for {', '.join(_LABEL_COLUMNS)} in its header)", path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy warns of an empty table; it is refused below
            table = np.loadtxt(path, delimiter=sep, skiprows=int(header), ndmin=2, dtype=np.float32,
                               encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataFormatError(f"not a table of a label and pixel values per row ({exc})"[:300], path) from None
    if not table.size:
        raise DataFormatError("a header and no rows", path)
    if not np.isfinite(table).all():
        raise DataFormatError("a cell is not a number (NaN or infinite)", path)
    if header:
        column = next(i for i, cell in enumerate(first) if cell in _LABEL_COLUMNS)
    else:
        column = _label_column(table, path)
    pixels = np.delete(table, column, axis=1)
    if pixels.size and (pixels.min() >= 0) and (pixels.max() <= 255) and (pixels == np.round(pixels)).all():
        pixels = pixels.astype(np.uint8)
    return _checked(pixels, table[:, column], path)


def _label_column(table: np.ndarray, path: Path) -> int:
    """The first column (MNIST's CSV), or the last when only the last holds digits 0-9 of more
    than one kind (a picture's first and last pixels are its empty corners: one kind). A first
    column with one label that is not a digit stays the label column, so that label is refused
    rather than every row read by its last pixel."""
    def kinds(col: np.ndarray) -> int:
        digits = (col == np.round(col)).all() and col.min() >= 0 and col.max() <= 9
        return len(np.unique(col)) if digits else 0

    first, last = kinds(table[:, 0]), kinds(table[:, -1])
    if not first and not last:
        raise DataFormatError("no header, and neither its first nor its last column holds digits 0-9", path)
    return table.shape[1] - 1 if last > max(first, 1) else 0


def npz_set(path: Path, split: str = "test") -> LabelledSet:
    other = "train" if split == "test" else "test"
    with mnist_data.open_npz(path) as data:
        for xk, yk in ((f"x_{split}", f"y_{split}"), ("x", "y"), ("images", "labels"), (f"x_{other}", f"y_{other}")):
            if xk in data.files and yk in data.files:
                x, y = data[xk], data[yk]
                break
        else:
            raise DataFormatError(f"no image/label arrays (looked for x_{split}/y_{split}, x/y, images/labels, "
                                  f"x_{other}/y_{other}; found {data.files})", path)
    return _checked(x, y, path)


def checked_arrays(x: np.ndarray, y: np.ndarray, where: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(pictures (N, H, W) or (N, H, W, 3|4), labels (N,) int64) from arrays as other tools store
    them: channels first or last, flattened square pictures (N, 784), labels as a column, one-hot,
    text or whole floats. Anything else is one :class:`DataFormatError`."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 4 and x.shape[1] in (1, 3, 4) and x.shape[-1] not in (1, 3, 4):
        x = np.moveaxis(x, 1, -1)  # channels first, as PyTorch stores them
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 2 and x.shape[1] > 1 and round(x.shape[1] ** 0.5) ** 2 == x.shape[1]:
        side = round(x.shape[1] ** 0.5)
        x = x.reshape(len(x), side, side)  # one flattened square picture per row
    if x.dtype.kind in "uib" and x.size and x.min() >= 0 and 0 < x.max() < 255:
        x = np.round(x.astype(np.float32) * (255 / float(x.max()))).astype(np.uint8)  # 0/1 bitmaps, 17 levels
    if y.ndim == 2 and 1 in y.shape and y.shape != (1, 10):
        y = y.reshape(-1)  # a column, or a row as MATLAB and SciPy store a vector
    elif y.ndim == 2 and y.shape[1] == 10 and y.size and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
        y = y.argmax(axis=1)  # one-hot
    if x.dtype.kind not in "uifb":
        raise DataFormatError(f"pictures must hold numbers of pixels, not {x.dtype} values", where)
    if x.dtype.kind == "f" and not np.isfinite(x).all():  # read as blanks they would count as misread
        raise DataFormatError("pictures hold NaN or infinite values", where)
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (3, 4)) or y.ndim != 1 or len(x) != len(y):
        raise DataFormatError(f"expected N pictures and N labels, got shapes {x.shape} and {y.shape}", where)
    if y.dtype.kind in "US":
        try:
            text = np.char.strip(y.astype(str))
        except UnicodeDecodeError:
            raise DataFormatError("labels must be digits 0-9 (they are bytes that are not text)", where) from None
        if not np.isin(text, list("0123456789")).all():
            raise DataFormatError("labels must be digits 0-9", where)
        y = text.astype(np.int64)
    elif y.dtype.kind == "f":
        if not np.isfinite(y).all() or (y != np.round(y)).any():
            raise DataFormatError("labels must be whole digits 0-9, not fractions", where)
    elif y.dtype.kind not in "iu":
        raise DataFormatError(f"labels must be digits 0-9, got {y.dtype} values", where)
    if y.size and (y.min() < 0 or y.max() > 9):
        at = int(np.flatnonzero((y < 0) | (y > 9))[0])
        raise DataFormatError(f"labels must be digits 0-9 (label {at + 1:,} of {len(y):,} is {y[at]:g})", where)
    return x, y.astype(np.int64)


def _checked(x: np.ndarray, y: np.ndarray, path: Path) -> LabelledSet:
    x, y = checked_arrays(x, y, path)
    return LabelledSet(x, y, str(path))


def _from_idx_folder(folder: Path, split: str) -> LabelledSet:
    for part in (split, "train" if split == "test" else "test"):
        xs = mnist_data.find_idx_file(folder, mnist_data.IDX_STEMS[f"x_{part}"])
        ys = mnist_data.find_idx_file(folder, mnist_data.IDX_STEMS[f"y_{part}"])
        if xs and ys:
            return _checked(read_idx(xs), read_idx(ys), folder)
    images = sorted(p for p in folder.iterdir() if "images-idx3" in p.name or "images.idx3" in p.name)
    labels = sorted(p for p in folder.iterdir() if "labels-idx1" in p.name or "labels.idx1" in p.name)
    if len(images) == 1 and len(labels) == 1:
        return _checked(read_idx(images[0]), read_idx(labels[0]), folder)
    raise DataFormatError("no IDX image/label pair here", folder)


def image_folder(folder: Path) -> LabelledSet:
    """Pictures labelled by ``labels.csv``, by sub-folders 0-9 or by their names' first digit."""
    if (folder / "labels.csv").is_file():
        from .sample_formats import labelled_rows  # which imports this module

        rows = labelled_rows(folder)
        return LabelledSet([read_image(folder / row["file"]) for _, row, _, _ in rows],
                           np.array([label for _, _, label, _ in rows], np.int64), str(folder),
                           names=[where for where, _, _, _ in rows])
    def pictures(where: Path, deep: bool = False) -> list[Path]:
        return visible_files(where, IMAGE_SUFFIXES, deep=deep)

    def listed(names: list[str]) -> str:
        return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    files: list[tuple[Path, int]] = []
    subdirs = [d for d in folder.iterdir() if d.is_dir() and re.fullmatch(r"\d", d.name)]
    if subdirs:
        for d in sorted(subdirs):
            files += [(p, int(d.name)) for p in pictures(d, deep=True)]
        placed = {p for p, _ in files}
        astray = [p.relative_to(folder).as_posix() for p in pictures(folder, deep=True) if p not in placed]
        if astray:  # counted without them, a set would look smaller than it is and nobody would know
            lie, them = ("lies", "it") if len(astray) == 1 else ("lie", "them")
            raise DataFormatError(f"{listed(astray)} {lie} outside the sub-folders 0-9: move {them} into the "
                                  f"folder of its digit, or out of this folder.", folder)
    else:
        unlabelled = [p.name for p in pictures(folder) if not _LABEL_IN_NAME.match(p.name)]
        if unlabelled:
            raise DataFormatError(f"cannot tell the label of {listed(unlabelled)}: name files like 7_x.png "
                                  f"or sort them into sub-folders 0-9", folder)
        files = [(p, int(_LABEL_IN_NAME.match(p.name).group(1))) for p in pictures(folder)]
    if not files:
        raise DataFormatError("no labelled pictures here (.png/.jpg/.bmp named 7_x.png, in folders 0-9 or listed "
                              "in a labels.csv)", folder)
    return LabelledSet([read_image(p) for p, _ in files], np.array([l for _, l in files]), str(folder),
                       names=[str(p) for p, _ in files])


def _from_ink_lines(path: Path, select: dict[str, str]) -> LabelledSet:
    # imported here: sample_formats imports this module. Its reader names each record file:line,
    # which the disagreement list of ``evaluate --compare`` shows
    from .sample_formats import read_located

    located = read_located(path, "jsonl", select=select or None)
    images = (np.stack([s.image for _, s in located]) if located else np.zeros((0, 28, 28), np.uint8))
    source = str(path) + (":" + ",".join(f"{k}={v}" for k, v in select.items()) if select else "")
    return LabelledSet(images, np.array([s.label for _, s in located], np.int64), source,
                       names=[where for where, _ in located], inks=[s.ink for _, s in located])


def held_out_samples(store: str | os.PathLike | None, source: str = "your held-out samples") -> LabelledSet:
    """A sample store's test split, with the inks, so that each model draws them at its own width."""
    from .sample_store import SampleStore  # which imports ink, as this module does

    with SampleStore(store) as db:  # its own connection: SQLite's are per thread
        samples = db.samples(split="test")
    images = np.stack([s.image for s in samples]) if samples else np.zeros((0, 28, 28), np.uint8)
    inks = [s.ink for s in samples]
    return LabelledSet(images, np.array([s.label for s in samples], np.int64), source,
                       inks=inks if any(ink is not None for ink in inks) else None,
                       ids=np.array([s.id for s in samples], np.int64))


def load_labelled(path: str | os.PathLike, split: str = "test") -> LabelledSet:
    """``path``: an .npz, an IDX folder, a folder of images, or ink JSON Lines, optionally with a
    selection of its records by keys, as ``train --extra`` takes it (``inks.jsonl:part=test``).
    ``split``: the part an .npz or IDX folder holding both gives (``evaluate`` measures on
    ``test``; ``train --extra`` learns from ``train``)."""
    spec = os.fspath(path)
    path, select = Path(spec).expanduser(), {}
    if not path.exists():
        from .training_data import ExtraSource  # which imports this module

        source = ExtraSource.parse(spec)
        path, select = Path(source.path).expanduser(), source.select
    if not path.exists():
        raise DataNotFoundError("no such file or folder", path)
    check_file_or_folder(path, DataFormatError)
    if path.suffix.lower() == ".jsonl" and path.is_file():
        return _from_ink_lines(path, select)
    if select:
        raise DataFormatError("a key=value selection applies to ink JSON Lines only", path)
    if path.suffix.lower() == ".csv" and path.is_file():
        return pixel_csv(path)
    if path.is_file():
        if path.suffix.lower() != ".npz" and not zipfile.is_zipfile(path):  # an .npz is a zip, whatever its name
            raise DataFormatError("cannot tell the format: a labelled set is an .npz, ink JSON Lines (.jsonl), a "
                                  "CSV of pixel rows, an IDX folder or a folder of pictures", path)
        return npz_set(path, split)
    names = {p.name for p in path.iterdir()}
    if any("idx" in n for n in names):
        return _from_idx_folder(path, split)
    return image_folder(path)


def mnist_test(explicit: str | os.PathLike | None = None, *, allow_download: bool = True) -> LabelledSet:
    data = mnist_data.load(explicit, allow_download=allow_download)
    return LabelledSet(data.x_test, data.y_test.astype(np.int64), f"MNIST test ({data.source})")
