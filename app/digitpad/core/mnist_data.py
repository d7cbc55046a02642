"""Finding MNIST: an explicit path, $DIGITPAD_MNIST, the Keras cache, then Keras's download URL.

Everything returns uint8 arrays with the Keras keys (x_train, y_train, x_test, y_test).
"""
from __future__ import annotations

import contextlib
import os
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .atomic_file import atomic_path
from .errors import DataFormatError, DataNotFoundError
from .idx import read_idx

ENV_VAR = "DIGITPAD_MNIST"
KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_STEMS = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def keras_cache_path() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"


def find_idx_file(folder: Path, stem: str) -> Path | None:
    """``stem`` in ``folder``, gzipped or not, with '-idx' or '.idx' spelling."""
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _check(arrays: dict[str, np.ndarray], where: Path) -> dict[str, np.ndarray]:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.ndim != 1 or len(x) != len(y):
            raise DataFormatError(
                f"expected x_{split} of shape (N, 28, 28) and y_{split} of shape (N,), "
                f"got {x.shape} and {y.shape}", where)
    return {k: np.asarray(v, dtype=np.uint8) for k, v in arrays.items()}


@contextlib.contextmanager
def open_npz(path: str | os.PathLike) -> Iterator[np.lib.npyio.NpzFile]:
    """An .npz opened for its arrays (never unpickling anything); any failure to read it, there or
    in the ``with`` body, is a :class:`DataFormatError` naming the file."""
    path = Path(path)
    if not zipfile.is_zipfile(path):  # else numpy guesses a pickle and says "contains pickled data"
        raise DataFormatError("not a valid .npz file (an .npz is a zip archive of arrays; this is not one)", path)
    try:
        with np.load(path, allow_pickle=False) as data:
            yield data
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DataFormatError(f"not a readable .npz file ({exc})", path) from None


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    path = Path(path)
    with open_npz(path) as data:
        missing = [k for k in KEYS if k not in data.files]
        if missing:
            raise DataFormatError(f"missing keys {missing}; an MNIST .npz needs {list(KEYS)}", path)
        arrays = {k: data[k] for k in KEYS}
    return _check(arrays, path)


def load_idx_folder(folder: str | os.PathLike) -> dict[str, np.ndarray]:
    folder = Path(folder)
    arrays = {}
    for key, stem in IDX_STEMS.items():
        found = find_idx_file(folder, stem)
        if found is None:
            raise DataFormatError(f"no {stem}[.gz] in this folder; an MNIST folder needs the four IDX files", folder)
        arrays[key] = read_idx(found)
    return _check(arrays, folder)


def load_path(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """An ``.npz`` with the Keras keys or a folder with the four IDX files."""
    path = Path(path).expanduser()
    if path.is_dir():
        return load_idx_folder(path)
    if path.is_file():
        return load_npz(path)
    raise DataNotFoundError("no such file or folder", path)


def download(target: Path, url: str = KERAS_URL, timeout: float = 20.0) -> Path:
    """Fetch Keras's mnist.npz into its usual cache; no TensorFlow needed."""
    with urllib.request.urlopen(url, timeout=timeout) as response, atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            while chunk := response.read(1 << 20):
                fh.write(chunk)
        load_npz(tmp)  # refuse to cache a broken download
    return target


def locate(explicit: str | os.PathLike | None = None, *, allow_download: bool = True,
           url: str = KERAS_URL) -> Path:
    """Return where MNIST is, in the documented order, or raise DataNotFoundError saying where we looked."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise DataNotFoundError("--mnist path does not exist", path)
        return path
    looked = []
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if path.exists():
            return path
        looked.append(f"${ENV_VAR}={env} (missing)")
    else:
        looked.append(f"${ENV_VAR} (not set)")
    cache = keras_cache_path()
    if cache.is_file():
        return cache
    looked.append(str(cache))
    if allow_download and os.environ.get("DIGITPAD_OFFLINE") != "1":
        try:
            return download(cache, url)
        except Exception as exc:  # offline, proxy, broken file: all mean "not found here"
            looked.append(f"download from {url} failed ({type(exc).__name__}: {exc})")
    raise DataNotFoundError(
        "MNIST not found. Looked in: " + "; ".join(looked) +
        f". Pass --mnist PATH (an mnist.npz or a folder with the four IDX files) or set {ENV_VAR}.")


def load(explicit: str | os.PathLike | None = None, *, allow_download: bool = True) -> Mnist:
    path = locate(explicit, allow_download=allow_download)
    arrays = load_path(path)
    return Mnist(source=str(path), **arrays)
