"""Write-then-rename, so a failed or interrupted save never leaves a half-written file.

Cleanup runs on any exception, including ``KeyboardInterrupt``; a process killed by a signal
Python does not turn into an exception (SIGTERM's default, SIGKILL) leaves its hidden
``.NAME.*.tmp`` behind, never a half-written ``NAME``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from .errors import WriteError


def _umask() -> int:
    """The process's umask, read without setting it (``os.umask`` would race with other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_error(exc: OSError, target: str | os.PathLike) -> WriteError:
    """``exc`` as the one line a user sees: which file, and the system's reason."""
    return WriteError(f"cannot write ({exc.strerror or exc})", target)


def _special(path: str | os.PathLike) -> bool:
    """Whether ``path`` is (or links to) something other than a file or a folder: a device, a pipe."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def check_writable(target: str | os.PathLike) -> None:
    """Raise :class:`WriteError` now if ``target`` cannot be written: a job of many minutes checks
    before it starts, not after its result is made."""
    named, target = target, Path(os.path.realpath(target))
    if _special(named):
        return
    if target.is_dir():
        raise WriteError("cannot write (it is a folder)", named)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise write_error(exc, named) from None


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    The temporary keeps the target's suffix so libraries that dispatch on it (Keras, OpenCV)
    still work. On any exception the temporary is removed and ``target`` is untouched. The file
    gets the mode any new file gets (0644 under umask 022), not ``mkstemp``'s private 0600.
    Failing to create or rename the temporary raises :class:`WriteError`. Through a link the
    file it points to is replaced; a device or a pipe is written directly.
    """
    named = target
    if _special(named):
        yield Path(named)  # a device or a pipe (/dev/stdout, a FIFO) is written as it is, never replaced
        return
    target = Path(os.path.realpath(target))  # a link stays a link: the file it points to is written
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp" + "".join(target.suffixes),
                                   dir=target.parent)
    except OSError as exc:
        raise write_error(exc, named) from None
    tmp_path = Path(tmp)
    try:
        try:
            os.fchmod(fd, 0o666 & ~_umask())
        finally:
            os.close(fd)
        yield tmp_path
        try:
            os.replace(tmp_path, target)
        except OSError as exc:
            raise write_error(exc, named) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike, last: str | None = None) -> Iterator[Path]:
    """Yield an empty temporary folder; on success its entries appear in ``target``.

    A new ``target`` is the temporary renamed, whole. Into an existing folder (one picked in a
    dialog) each entry is moved in, an entry of the same name replaced; ``last`` (the file that
    says the folder is complete, such as ``labels.csv``) goes in last. On any exception the
    temporary is removed and ``target`` is as it was; an ``OSError`` becomes :class:`WriteError`.
    """
    target = Path(target)
    exists = target.is_dir()
    try:
        if not exists:
            target.parent.mkdir(parents=True, exist_ok=True)
        # beside a new target, inside an existing one: either way on target's file system
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp",
                                    dir=target if exists else target.parent))
    except OSError as exc:
        raise write_error(exc, target) from None
    try:
        yield tmp
        if exists:
            olds = []
            try:
                with _signals_held():  # a handful of renames: Ctrl+C waits, so no half-old folder is left
                    for entry in sorted(tmp.iterdir(), key=lambda p: p.name == last):
                        olds.append(_move_in(entry, target / entry.name))
                    tmp.rmdir()
            finally:  # also when the held Ctrl+C arrives
                for old in filter(None, olds):
                    shutil.rmtree(old, ignore_errors=True)
        else:
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's folder is private (0700)
            os.rename(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise write_error(exc, target) from None
        raise


def _move_in(entry: Path, dest: Path) -> Path | None:
    """Put ``entry`` at ``dest``: a file replaces a file; a folder takes the place of the old one,
    which is returned (hidden beside it) for removal once every entry is in."""
    if entry.is_dir() and dest.is_dir():
        old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old.", dir=dest.parent))
        os.rename(dest, old / dest.name)
        os.rename(entry, dest)
        return old
    os.replace(entry, dest)
    return None


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl+C and ``kill -TERM`` wait until the block is done (they are delivered after it).

    The kernel gives a signal to any thread (OpenCV's, TensorFlow's), but Python runs its handler
    in the main thread: so the handlers are swapped for ones that only note the signal. Blocking
    it in this thread alone (a signal mask) let most of them through once other threads ran."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach Python's handlers in the main thread only
        return
    caught: list[int] = []
    before = {s: signal.signal(s, lambda signum, _frame: caught.append(signum))
              for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        for s in dict.fromkeys(caught):  # each held signal once, in the order it came
            signal.raise_signal(s)


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    with atomic_path(target) as tmp:
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                if tmp.is_file():  # a pipe or a terminal cannot be synced
                    os.fsync(fh.fileno())
        except OSError as exc:
            raise write_error(exc, target) from None


def write_text(target: str | os.PathLike, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))
