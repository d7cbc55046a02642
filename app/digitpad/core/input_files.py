"""Inputs a user names are read only when they are regular files: a device, pipe or socket
behind a digit's name (``zero.png`` linked to ``/dev/zero``, a FIFO) would be read without end
or block forever, and a size check cannot see it (a device's size is 0)."""
from __future__ import annotations

import errno
import os
import stat

from .errors import DigitPadError


def regular_size(path: str | os.PathLike) -> int:
    """The size of the regular file at ``path`` (links followed). Raises ``OSError`` whose
    ``strerror`` says what is wrong, as readers already report a file they cannot read."""
    found = os.stat(path)
    if not stat.S_ISREG(found.st_mode):
        kind = "a folder" if stat.S_ISDIR(found.st_mode) else "a device, pipe or socket"
        raise OSError(errno.EINVAL, f"not a regular file but {kind}")
    return found.st_size


def check_file_or_folder(path: str | os.PathLike, error: type[DigitPadError]) -> None:
    """Raise ``error`` naming ``path`` unless it is a folder or a regular file."""
    if os.path.isdir(path):
        return
    try:
        regular_size(path)
    except OSError as exc:
        raise error(f"cannot read ({exc.strerror or exc})", path) from None
