"""Reading picture files with one clear error instead of OpenCV's silent ``None``."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .errors import ImageReadError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


def decode_image(data: bytes, source: str | os.PathLike | None = None) -> np.ndarray:
    """Gray, BGR or BGRA array (alpha kept: transparent backgrounds matter for polarity)."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) if data else None
    if arr is None or arr.size == 0:
        raise ImageReadError("not a readable image (unknown format or corrupt data)", source)
    if arr.ndim == 3 and arr.shape[2] >= 3:
        code = cv2.COLOR_BGRA2RGBA if arr.shape[2] == 4 else cv2.COLOR_BGR2RGB
        arr = cv2.cvtColor(arr, code)
    return arr


def read_image(path: str | os.PathLike) -> np.ndarray:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImageReadError(f"cannot read ({exc.strerror or exc})", path) from None
    return decode_image(data, path)
