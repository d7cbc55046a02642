"""Moving homemade samples in and out: MNIST IDX (gzipped), Keras-style .npz, a folder of PNGs
with a labels CSV, and ink JSON Lines. Imports parse and validate everything first and then
add it in one transaction: a malformed file imports nothing."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

import cv2
import numpy as np

from .atomic_file import atomic_folder, atomic_path, write_error
from .errors import DataFormatError, InkError, WriteError
from .input_files import check_file_or_folder
from .idx import read_idx, write_idx
from .mnist_data import find_idx_file, open_npz
from .images import read_image
from .ink import Ink, flip_y, ink_from_dict, ink_to_mnist, matches, parse_json
from .labelled_sets import checked_arrays, image_folder, npz_set, pixel_csv
from .paper import border_level
from .preprocess import to_gray, to_mnist
from .sample_store import Sample, SampleError, SampleStore

FORMATS = ("idx", "npz", "png", "jsonl")
#: An import also reads pixel rows in CSV (as Kaggle's MNIST is written), which nothing exports.
IMPORT_FORMATS = (*FORMATS, "csv")
#: A sample and where it was read (``file:line``), so the store's verdict on it can name the place.
Located = list[tuple[str, Sample]]
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")
IDX_NAMES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
             "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def guess_format(path: Path) -> str:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return "jsonl"
    if path.suffix.lower() in (".npz", ".csv"):
        return path.suffix.lower()[1:]
    if path.is_file() and zipfile.is_zipfile(path):
        return "npz"  # an .npz by another name
    if path.is_dir() and (path / "labels.csv").is_file():
        return "png"
    if path.is_dir():
        return "idx" if any("idx" in p.name for p in path.iterdir()) else "png"
    raise DataFormatError("cannot tell the format: use a .jsonl, a .npz, a .csv of pixel rows, a folder of pictures "
                          "(with labels.csv, in sub-folders 0-9 or named 7_x.png) or an IDX folder (or pass --format)",
                          path)


def counted(n: int, noun: str) -> str:
    """"1 sample", "2 samples": what import and export say they did."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _text(value: object) -> str:
    """A key's value as text: a number as written, anything else as JSON, not as Python's repr."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _ink_key(ink: Ink) -> list:
    """What identifies a drawing: its canvas, pen and strokes' numbers (not the keys around them)."""
    strokes = [np.ascontiguousarray(s, np.float64) for s in ink.strokes]
    return [[ink.width, ink.height, ink.pen_width, [s.shape for s in strokes]]] + [s.tobytes() for s in strokes]


def content_uid(label: int, parts: list, seen: dict[bytes, int]) -> str:
    """A sample's id from what it is (its label and ink, or the picture it is stored as) and which
    copy of it in its file (a set of tiny bitmaps can hold the same 1 twice), but not its place,
    for records that bring none: importing a file again, or a copy or shuffled copy, adds nothing."""
    digest = hashlib.sha256(repr(label).encode())
    for part in parts:
        digest.update(part if isinstance(part, bytes) else repr(part).encode())
    key = digest.digest()
    seen[key] = seen.get(key, -1) + 1
    return "imported-" + hashlib.sha256(key + str(seen[key]).encode()).hexdigest()[:32]


def _mnist_form(image: np.ndarray) -> np.ndarray | None:
    """A 28x28 picture already in MNIST's form (light ink on a dark border; a digit may touch
    it), as uint8 0..255 whatever its type held; None for anything else."""
    if image.shape != (28, 28):
        return None
    gray = to_gray(image)
    if border_level(gray) > 0.125 or gray.max() < 0.5:
        return None
    return np.round(gray * 255).astype(np.uint8)


def _model_view(image: np.ndarray) -> np.ndarray | None:
    """The 28x28 picture the model sees: an MNIST-form picture as it is, anything else (dark ink
    on paper, a blank, another size) through the picture recipe; None when blank."""
    same = _mnist_form(image)
    if same is not None:
        return same
    pre = to_mnist(image)
    return None if pre.empty else np.round(pre.image * 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------- export
def export(store: SampleStore, path: str | os.PathLike, fmt: str) -> int:
    """Write every live sample; returns how many were written.

    All or nothing: a file is written beside its name and renamed, a folder (IDX, PNG) is
    filled while hidden and appears whole, ``labels.csv`` last. A failure to write raises
    :class:`WriteError` and leaves what was there before.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {FORMATS}")
    path = Path(path)
    store_files = {Path(os.path.realpath(store.path) + end) for end in ("", "-wal", "-shm", "-journal")}
    if Path(os.path.realpath(path)) in store_files:
        raise WriteError("this is the sample store itself: exporting onto it would replace it; "
                         "choose another name", path)
    samples = store.samples(with_ink=fmt == "jsonl")
    try:
        return _write(samples, path, fmt)
    except WriteError:
        raise
    except OSError as exc:
        raise write_error(exc, path) from None


def _write(samples: list[Sample], path: Path, fmt: str) -> int:
    if fmt == "jsonl":
        lines = []
        for s in samples:
            if s.ink is None:
                continue  # picture-only samples have no strokes to export
            doc = s.ink.to_dict()
            doc.update(label=s.label, writer=s.writer, split=s.split, uid=s.uid, device=s.device,
                       created=s.created)
            lines.append(json.dumps(doc, separators=(",", ":")))
        with atomic_path(path) as tmp:
            tmp.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
        return len(lines)
    by_split = {sp: [s for s in samples if s.split == sp] for sp in ("train", "test")}
    arrays = {sp: (np.stack([s.image for s in ss]) if ss else np.zeros((0, 28, 28), np.uint8),
                   np.array([s.label for s in ss], np.uint8)) for sp, ss in by_split.items()}
    if fmt == "npz":
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, x_train=arrays["train"][0], y_train=arrays["train"][1],
                                    x_test=arrays["test"][0], y_test=arrays["test"][1])
    elif fmt == "idx":
        with atomic_folder(path) as tmp:
            for sp, (images_name, labels_name) in IDX_NAMES.items():
                write_idx(tmp / images_name, arrays[sp][0])
                write_idx(tmp / labels_name, arrays[sp][1])
    else:
        with atomic_folder(path, last="labels.csv") as tmp:
            (tmp / "images").mkdir()
            rows = io.StringIO()
            writer = csv.writer(rows)
            writer.writerow(["file", "label", "writer", "split", "uid", "device"])
            for s in samples:
                # a uid from another tool may hold "/" or ".."; the row id is always a safe name
                name = f"images/{s.uid if _SAFE_NAME.fullmatch(s.uid) else f'sample-{s.id}'}.png"
                ok, data = cv2.imencode(".png", s.image)
                if not ok:
                    raise OSError(f"cannot encode sample {s.id} as PNG")
                (tmp / name).write_bytes(data.tobytes())
                writer.writerow([name, s.label, s.writer, s.split, s.uid, s.device])
            (tmp / "labels.csv").write_text(rows.getvalue(), encoding="utf-8")
    return len(samples)


# ---------------------------------------------------------------------------------------- import
def _read_jsonl(path: Path, writer: str, y_up: bool = False, select: dict[str, str] | None = None) -> Located:
    """Every line is read, so that a refusal names all the bad lines at once (the first in full)."""
    out, bad, seen = [], [], {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"cannot read ({getattr(exc, 'strerror', None) or exc})", path) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            sample = _ink_sample(line, f"{path}:{number}", path, writer, y_up, select, seen)
        except (DataFormatError, InkError) as exc:
            bad.append((number, exc))
            continue
        if sample is not None:
            out.append((f"{path}:{number}", sample))
    if bad:
        first = bad[0][1]
        if len(bad) == 1:
            raise first
        more = ", ".join(str(n) for n, _ in bad[1:11]) + (", ..." if len(bad) > 11 else "")
        raise type(first)(f"{first} (and {len(bad) - 1} more bad lines: {more})")
    return out


def _ink_sample(line: str, where: str, path: Path, writer: str, y_up: bool,
                select: dict[str, str] | None, seen: dict[bytes, int]) -> Sample | None:
    """One line's sample, None when ``select`` leaves it out."""
    doc = parse_json(line, where)
    if not isinstance(doc, dict):
        raise InkError("each line must be a JSON object", where)
    if select and not matches(doc, select):
        return None
    label = doc.get("label")
    if isinstance(label, str) and label.strip() in tuple("0123456789"):
        label = int(label)  # other tools write "7"
    if label is None:
        raise DataFormatError("no 'label' (a digit 0-9)", where)
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
        raise DataFormatError(f"'label' must be a digit 0-9, got {label!r}", where)
    split = doc.get("split")
    if isinstance(split, str):
        split = split.strip().lower()
    if split not in (None, "train", "test"):
        raise DataFormatError(f"'split' must be 'train' or 'test', got {split!r}", where)
    meta = {k: doc.pop(k, None) for k in ("label", "writer", "split", "uid", "device", "created")}
    ink = ink_from_dict(doc, where)
    if y_up:
        ink = flip_y(ink)
    pre = ink_to_mnist(ink)
    if pre.empty:
        raise DataFormatError("ink has no strokes", where)
    # as stored (after --y-up); a drawing repeated in the file is kept, as a picture is
    uid = str(meta["uid"]) if meta["uid"] else content_uid(label, _ink_key(ink), seen)
    kwargs = {"uid": uid}
    if meta["created"] is not None:
        kwargs["created"] = meta["created"]  # checked by the store, as every stored value is
    return Sample(label=label, image=np.round(pre.image * 255).astype(np.uint8), ink=ink,
                  writer=_text(meta["writer"]) or writer, device=_text(meta["device"]),
                  split=split, source=str(path), **kwargs)


def _csv_delimiter(text: str) -> str:
    """Commas, or the semicolons or tabs a spreadsheet in another locale writes, by the header;
    only the delimiter is taken from it, the quoting stays Excel's (as the export writes it)."""
    try:
        return csv.Sniffer().sniff(text.partition("\n")[0], delimiters=",;\t").delimiter
    except csv.Error:  # one column, or nothing
        return ","


def labelled_rows(path: Path) -> list[tuple[str, dict[str, str], int, str | None]]:
    """(where, row, label, split) of each row of a picture folder's ``labels.csv``, checked: one
    reader for the app's own PNG exports and for sheets other tools write."""
    try:
        with open(path / "labels.csv", newline="", encoding="utf-8-sig") as fh:  # Excel writes a BOM
            text = fh.read()
        rows = [{(k or "").strip().lower(): v.strip() if isinstance(v, str) else "" for k, v in row.items()}
                for row in csv.DictReader(io.StringIO(text), delimiter=_csv_delimiter(text))]
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise DataFormatError(f"cannot read labels.csv ({exc})", path) from None
    out = []
    for number, row in enumerate(rows, 2):
        where = f"{path / 'labels.csv'}:{number}"
        try:
            label = int(row.get("label", ""))
        except ValueError:
            raise DataFormatError(f"'label' must be a digit 0-9, got {row.get('label')!r}", where) from None
        if not 0 <= label <= 9 or not row.get("file"):
            raise DataFormatError("each row needs a file and a label 0-9", where)
        split = row.get("split", "").lower() or None
        if split not in (None, "train", "test"):
            raise DataFormatError(f"'split' must be 'train' or 'test', got {split!r}", where)
        out.append((where, row, label, split))
    return out


def _read_png_folder(path: Path, writer: str) -> Located:
    """A folder of pictures labelled by ``labels.csv`` (as the app exports them), else by
    sub-folders 0-9 or by file names that start with the digit (as ``evaluate`` reads them)."""
    if not (path / "labels.csv").is_file():
        data = image_folder(path)
        located = zip(data.names, data.images, data.labels)
        rows = [(where, {"file": Path(where).relative_to(path).as_posix()}, int(label), None, image)
                for where, image, label in located]
    else:
        rows = [(where, row, label, split, read_image(path / row["file"]))
                for where, row, label, split in labelled_rows(path)]
    out, seen = [], {}
    for where, row, label, split, picture in rows:
        image = _model_view(picture)
        if image is None:
            raise DataFormatError(f"{row['file']} is blank", where)
        uid = row.get("uid") or content_uid(label, [image.tobytes()], seen)
        out.append((where, Sample(label=label, image=image, writer=row.get("writer") or writer, uid=uid,
                                  device=row.get("device") or "", split=split, source=str(path))))
    return out


def _read_arrays(path: Path, writer: str, fmt: str) -> Located:
    out = []
    if fmt == "csv":
        data = pixel_csv(path)
        pairs = [(None, np.asarray(data.images), data.labels)]
    elif fmt == "npz":
        with open_npz(path) as data:
            pairs = [(sp, data[f"x_{sp}"], data[f"y_{sp}"]) for sp in ("train", "test")
                     if f"x_{sp}" in data.files and f"y_{sp}" in data.files]
        if not pairs:
            data = npz_set(path)
            pairs = [(None, np.asarray(data.images), data.labels)]
    else:
        pairs = []
        for sp, (images_name, labels_name) in IDX_NAMES.items():
            img_path = find_idx_file(path, images_name.removesuffix(".gz"))
            lab_path = find_idx_file(path, labels_name.removesuffix(".gz"))
            if img_path and lab_path:
                pairs.append((sp, read_idx(img_path), read_idx(lab_path)))
        if not pairs:
            raise DataFormatError("no train-/t10k- IDX image and label files here", path)
    seen: dict[bytes, int] = {}
    for split, x, y in pairs:
        x, y = checked_arrays(x, y, f"{path}: {'x_' + split if split else 'the set'}")
        for i, (img, label) in enumerate(zip(x, y)):
            where = f"{path}: picture {i} of {'x_' + split if split else 'the set'}"
            image = _model_view(img)
            if image is None:
                raise DataFormatError("the picture is blank", where)
            uid = content_uid(int(label), [image.tobytes()], seen)
            out.append((where, Sample(label=int(label), image=image, writer=writer, split=split, uid=uid,
                                      source=str(path))))
    return out


def read_samples(path: str | os.PathLike, fmt: str | None = None, writer: str = "", y_up: bool = False,
                 select: dict[str, str] | None = None) -> list[Sample]:
    """``y_up``: the inks' y axis points up (some tablets); they are stored flipped to y down.
    ``select``: only ink lines whose keys have these values (``{"part": "train"}``)."""
    return [s for _, s in read_located(Path(path), fmt, writer, y_up, select)]


def read_located(path: Path, fmt: str | None = None, writer: str = "", y_up: bool = False,
                 select: dict[str, str] | None = None) -> Located:
    """As :func:`read_samples`, each sample with where it was read (``file:line``)."""
    if not path.exists():
        raise DataFormatError("no such file or folder", path)
    check_file_or_folder(path, DataFormatError)
    fmt = fmt or guess_format(path)
    if (y_up or select) and fmt != "jsonl":
        raise DataFormatError("only ink (JSON Lines) has a y axis to flip or keys to select by; pictures "
                              "are read as they look", path)
    if fmt in ("png", "idx") and not path.is_dir():
        raise DataFormatError(f"--format {fmt} reads a folder", path)
    if fmt in ("jsonl", "npz", "csv") and not path.is_file():
        raise DataFormatError(f"--format {fmt} reads a file, not a folder", path)
    if fmt == "jsonl":
        return _read_jsonl(path, writer, y_up, select)
    if fmt == "png":
        return _read_png_folder(path, writer)
    if fmt in ("npz", "csv", "idx"):
        return _read_arrays(path, writer, fmt)
    raise ValueError(f"unknown format {fmt!r}; choose from {IMPORT_FORMATS}")


def import_samples(store: SampleStore, path: str | os.PathLike, fmt: str | None = None, writer: str = "",
                   y_up: bool = False) -> tuple[int, int]:
    """(added, already present). Everything is validated before anything is written: a sample
    the store refuses is reported where it was read (``file:line``), and nothing is added."""
    located = read_located(Path(path), fmt, writer, y_up, None)
    if not located:
        raise DataFormatError("holds no samples", path)
    try:
        added = store.add_many(s for _, s in located)
    except SampleError as exc:
        raise DataFormatError(exc.reason, located[exc.index][0]) from None
    return added, len(located) - added
