"""The IDX format of the original MNIST files (http://yann.lecun.com/exdb/mnist/), gzipped or not."""
from __future__ import annotations

import gzip
import math
import os
import struct
from pathlib import Path

import numpy as np

from .atomic_file import atomic_path
from .errors import DataFormatError
from .input_files import regular_size

#: Deflate never expands data more than about 1,032 times: a gzipped IDX file whose header
#: claims more than that is refused before anything that size is asked for.
_MOST_GZIP_RATIO = 1032

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
           0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09}


def _open(path: Path):
    """The file to read, and the most bytes it can hold once read."""
    size = regular_size(path)
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return (gzip.open(path, "rb"), size * _MOST_GZIP_RATIO) if gz else (open(path, "rb"), size)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (detecting gzip by its magic bytes, not its name)."""
    path = Path(path)
    try:
        fh, most = _open(path)
        with fh:
            header = fh.read(4)
            if len(header) < 4 or header[0] != 0 or header[1] != 0 or header[2] not in _DTYPES:
                raise DataFormatError("not an IDX file (bad magic number)", path)
            ndim = header[3]
            dims = struct.unpack(f">{ndim}I", fh.read(4 * ndim))
            dtype = np.dtype(_DTYPES[header[2]])
            count = math.prod(dims)  # Python's integers: a header's four dims cannot overflow
            if count * dtype.itemsize > most:
                raise DataFormatError(f"truncated IDX file: its header claims {count:,} items of shape {dims}, "
                                      "more than the file holds", path)
            data = fh.read(count * dtype.itemsize)
    except (OSError, EOFError, struct.error) as exc:
        raise DataFormatError(f"cannot read IDX data ({getattr(exc, 'strerror', None) or exc})", path) from None
    if len(data) != count * dtype.itemsize:
        raise DataFormatError(f"truncated IDX file: expected {count} items of shape {dims}", path)
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> None:
    """Write ``array`` (uint8 or int8) as IDX; gzipped when the name ends in ``.gz`` by default."""
    path = Path(path)
    array = np.ascontiguousarray(array)
    if array.dtype not in _CODES:
        raise ValueError(f"IDX export supports uint8/int8 arrays, not {array.dtype}")
    if compress is None:
        compress = path.suffix == ".gz"
    header = bytes([0, 0, _CODES[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with atomic_path(path) as tmp:
        opener = gzip.open if compress else open
        with opener(tmp, "wb") as fh:
            fh.write(header)
            fh.write(array.tobytes())
