"""Reading picture files with one clear error instead of OpenCV's silent ``None`` or traceback."""
from __future__ import annotations

import os
import struct
from pathlib import Path

import cv2
import numpy as np

from .. import MAX_IMAGE_PIXELS as MAX_PIXELS  # OpenCV is told the same when the package loads
from .errors import ImageReadError
from .input_files import regular_size

MAX_FILE_BYTES = 200_000_000

#: What a colour picture can be written as (GIF, PGM and PPM cannot hold one as it is).
WRITABLE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


def visible_files(folder: Path, suffixes: set[str], *, deep: bool = True) -> list[Path]:
    """The files in ``folder`` (and its sub-folders when ``deep``) with one of ``suffixes``, in
    name order; hidden ones (macOS's ``._7_x.png``, anything under a ``.folder``) left out."""
    found = folder.rglob("*") if deep else folder.iterdir()
    return sorted(p for p in found if p.suffix.lower() in suffixes and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def looks_like_picture(head: bytes) -> bool:
    """Whether the first bytes of a stream are a PNG, JPEG, GIF, BMP, TIFF or WebP file's."""
    return (head[:8] == b"\x89PNG\r\n\x1a\n" or head[:3] == b"\xff\xd8\xff" or head[:2] == b"BM"
            or head[:6] in (b"GIF87a", b"GIF89a") or head[:4] in (b"II*\x00", b"MM\x00*")
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"))


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF, BMP or JPEG header, without decoding; None if unknown."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            return struct.unpack(">II", data[16:24])
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:2] == b"BM":
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    return None
                marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
                if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                    h, w = struct.unpack(">HH", data[i + 5:i + 9])
                    return w, h
                i += 2 + length
    except struct.error:
        return None
    return None


def decode_image(data: bytes, source: str | os.PathLike | None = None) -> np.ndarray:
    """Gray, BGR or BGRA array (alpha kept: transparent backgrounds matter for polarity)."""
    size = header_size(data) if data else None
    if size and size[0] * size[1] > MAX_PIXELS:
        raise ImageReadError(f"picture is too large ({size[0]:,} x {size[1]:,} pixels; at most "
                             f"{MAX_PIXELS // 1_000_000} megapixels)", source)
    # A JPEG has no alpha to keep, and a phone's says in EXIF which way is up: OpenCV turns it
    # upright unless asked for the file's pixels unchanged.
    flags = cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH if data[:2] == b"\xff\xd8" else cv2.IMREAD_UNCHANGED
    try:
        arr = cv2.imdecode(np.frombuffer(data, np.uint8), flags) if data else None
    except cv2.error as exc:  # OpenCV refuses what passes its own size limit with an exception
        if "CV_IO_MAX_IMAGE_PIXELS" in str(exc):
            raise ImageReadError(f"picture is too large (over {MAX_PIXELS // 1_000_000} megapixels)", source) from None
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else "decoder error"
        raise ImageReadError(f"not a readable image ({msg[:160]})", source) from None
    if arr is None or arr.size == 0:
        raise ImageReadError("not a readable image (unknown format or corrupt data)", source)
    if arr.ndim == 3 and arr.shape[2] >= 3:
        code = cv2.COLOR_BGRA2RGBA if arr.shape[2] == 4 else cv2.COLOR_BGR2RGB
        arr = cv2.cvtColor(arr, code)
    return arr


def read_image(path: str | os.PathLike) -> np.ndarray:
    try:
        if regular_size(path) > MAX_FILE_BYTES:
            raise ImageReadError(f"file is too large for a picture of a digit (over {MAX_FILE_BYTES // 1_000_000} MB)",
                                 path)
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImageReadError(f"cannot read ({exc.strerror or exc})", path) from None
    return decode_image(data, path)


def write_image(path: str | os.PathLike, image: np.ndarray, fmt: str | None = None) -> None:
    """Encoded as the name's suffix says (a ``.jpg`` is a JPEG; a name without one as ``fmt``),
    written to a temporary name and renamed: a failure leaves no partial file."""
    from .atomic_file import write_bytes
    from .errors import DigitPadError

    suffix = Path(path).suffix.lower()
    if suffix and suffix not in WRITABLE_SUFFIXES:
        raise DigitPadError(f"cannot write a picture as {suffix}: name it {', '.join(sorted(WRITABLE_SUFFIXES))}",
                            path)
    try:
        ok, data = cv2.imencode(suffix or fmt or ".png", image)
    except cv2.error:
        ok = False
    if not ok:
        raise DigitPadError("cannot encode the picture in this format", path)
    write_bytes(path, data.tobytes())
