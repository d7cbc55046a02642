"""The homemade-sample store: SQLite in WAL mode, one transaction per accepted sample.

Every accepted sample is committed (and fsynced: ``synchronous=FULL``) before ``add`` returns,
so killing the app at any moment loses no accepted sample and never corrupts the store. Several
windows and a CLI export can use one store at once: writers take SQLite's write lock
(``BEGIN IMMEDIATE``) and each sample carries a unique id, so imports never duplicate it.

Every row passes one check before it is written (:func:`_row`): the store holds only what it can
read back. Every SQLite failure becomes a :class:`StoreError` that says what happened.
"""
from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .errors import DigitPadError, InkError
from .ink import Ink, parse_ink

SCHEMA_VERSION = 1
TEST_EVERY = 5  # every 5th sample of each digit goes to the test split: 80/20, balanced per digit
#: PRAGMA application_id of a DigitPad store ("DPad"): another program's database is refused.
APPLICATION_ID = 0x44506164
_COLUMNS = {"id", "uid", "label", "writer", "device", "split", "created", "ink", "image", "source", "deleted"}
_IMAGE_BYTES = 28 * 28

_MIGRATIONS = {
    1: """
    CREATE TABLE samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uid TEXT NOT NULL UNIQUE,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        writer TEXT NOT NULL DEFAULT '',
        device TEXT NOT NULL DEFAULT '',
        split TEXT NOT NULL CHECK (split IN ('train', 'test')),
        created REAL NOT NULL,
        ink TEXT,
        image BLOB NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        deleted INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX samples_label ON samples(label, deleted);
    CREATE INDEX samples_writer ON samples(writer, deleted);
    """,
}


class StoreError(DigitPadError):
    """The store cannot be opened or used: not a DigitPad store, newer than this app, busy, full,
    read-only, damaged, or holding a row it cannot read (named by its id)."""


class SampleError(ValueError):
    """A sample's values cannot be stored; ``index`` is its place in the batch given to ``add_many``."""

    def __init__(self, reason: str, index: int = 0):
        super().__init__(reason)
        self.reason, self.index = reason, index


#: What a user can do about each SQLite failure (by primary result code).
_FAILURES = {
    sqlite3.SQLITE_BUSY: "the store is busy (locked by another program); try again when it has finished",
    sqlite3.SQLITE_LOCKED: "the store is busy (locked by another program); try again when it has finished",
    sqlite3.SQLITE_FULL: "database or disk is full; nothing was written (free some space and try again)",
    sqlite3.SQLITE_READONLY: "the store is read-only: it can be read but nothing can be added or changed",
    sqlite3.SQLITE_CORRUPT: "the store is damaged; restore it from a copy",
    sqlite3.SQLITE_NOTADB: "not a DigitPad sample store",
    sqlite3.SQLITE_CANTOPEN: "cannot open the store",
    sqlite3.SQLITE_IOERR: "cannot read or write the store",
    sqlite3.SQLITE_PERM: "cannot read or write the store",
}


#: Why nothing is written to a store whose file left its path while it was open.
STORE_MOVED = ("the store's file was moved or deleted while DigitPad had it open; put it back to go on "
               "(nothing was written)")
#: SQLite hands back a text column's damaged bytes as they are, and Python cannot decode them.
DAMAGED_TEXT = "the store is damaged (text in it is not UTF-8); restore it from a copy"


def _store_error(exc: sqlite3.Error, path: Path) -> StoreError:
    """One line naming the failure in the user's terms, with SQLite's own words when they add any."""
    code = getattr(exc, "sqlite_errorcode", None)
    meaning = _FAILURES.get(code & 0xFF if code is not None else None,
                            "the store does not work as a DigitPad sample store")
    said = str(exc)
    if said.startswith("Could not decode to UTF-8"):  # a row's text; the schema's raises UnicodeDecodeError
        return StoreError(DAMAGED_TEXT, path)
    return StoreError(meaning if said in meaning else f"{meaning} ({said})", path)


def _unwritable(exc: BaseException | None) -> bool:
    """Whether SQLite failed because a file or folder could not be written."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN,
                                                 sqlite3.SQLITE_PERM, sqlite3.SQLITE_IOERR)


def _translated(method):
    """SQLite's exceptions leave the store as :class:`StoreError`, never as a traceback."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None
    return wrapper


@dataclass(frozen=True)
class Sample:
    label: int
    image: np.ndarray  # (28, 28) uint8, the model's view
    ink: Ink | None = None
    writer: str = ""
    device: str = ""
    split: str | None = None  # None: assigned by the store
    created: float = field(default_factory=time.time)
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)
    source: str = ""
    id: int | None = None


def default_store_path() -> Path:
    base = os.environ.get("DIGITPAD_DATA") or os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "digitpad" / "samples.sqlite"


class SampleStore:
    def __init__(self, path: str | os.PathLike | None = None, timeout: float = 30.0):
        self.path = Path(path) if path else default_store_path()
        #: Opened for reading only: the file or its folder cannot be written (another user's
        #: store, a read-only disk). Reading and exporting work; writing says it is read-only.
        self.read_only = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            opened = os.stat(self.path)  # the file this store is: see moved()
            self._identity = (opened.st_dev, opened.st_ino)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open ({getattr(exc, 'strerror', None) or exc})", self.path) from None
        try:
            self._open(writable=True)
        except StoreError as exc:
            if not self.path.is_file() or not _unwritable(exc.__cause__):
                raise
            self._open_read_only(timeout, exc)

    def _open(self, writable: bool) -> None:
        try:
            version = self._identify()  # before anything is written: another program's file stays as it is
            if writable:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.execute("PRAGMA foreign_keys=ON")
                if version < SCHEMA_VERSION:
                    self._migrate()
            elif version < SCHEMA_VERSION:
                raise StoreError("the store is read-only and from an older DigitPad, which this one would "
                                 "update before reading it; copy it somewhere writable", self.path)
        except sqlite3.Error as exc:
            self._db.close()
            raise _store_error(exc, self.path) from exc
        except UnicodeDecodeError:
            self._db.close()
            raise StoreError(DAMAGED_TEXT, self.path) from None
        except BaseException:
            self._db.close()
            raise

    def _open_read_only(self, timeout: float, first: StoreError) -> None:
        """Open a store that cannot be written: ``mode=ro`` while SQLite can still share it with
        writers; ``immutable`` when even its shared-memory file cannot be made (a read-only folder)."""
        from urllib.parse import quote

        for flag in ("mode=ro", "immutable=1"):
            try:
                self._db = sqlite3.connect(f"file:{quote(str(self.path.resolve()))}?{flag}", uri=True,
                                           timeout=timeout, isolation_level=None, check_same_thread=False)
                self._open(writable=False)
            except StoreError as exc:
                if not _unwritable(exc.__cause__):
                    raise
                continue
            except sqlite3.Error:
                continue
            self.read_only = True
            return
        raise first

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "SampleStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def moved(self) -> bool:
        """Whether the store's file has left its path since it was opened (moved, deleted, replaced)."""
        try:
            now = os.stat(self.path)
        except OSError:
            return True
        return (now.st_dev, now.st_ino) != self._identity

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # The write-ahead log stays at the old path when the store's file is moved: a write now
        # would go where the file will never read it back. Moved back, the store goes on.
        if self.moved():
            raise StoreError(STORE_MOVED, self.path)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            # SQLite has already rolled back after some failures (a full disk): rolling back again
            # would replace "database or disk is full" with "no transaction is active".
            if self._db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise
        # Into the file itself at once, not only its log, so a file moved later holds it all. The
        # write is committed already: a checkpoint that cannot run now runs at a later one.
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _identify(self) -> int:
        """The store's schema version, after checking that the file is an empty database or a
        DigitPad store (marked by ``application_id``, or from before the mark: a ``samples``
        table and a ``user_version``) whose tables have every column this version reads."""
        db = self._db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                           "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        before_the_mark = app_id == 0 and version >= 1 and "samples" in tables
        if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables and not before_the_mark):
            held = (f"it holds {', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''}" if tables
                    else f"application_id {app_id:#x}")
            raise StoreError(f"not a DigitPad sample store: another program's database ({held}); "
                             f"choose a new file for the store", self.path)
        if version > SCHEMA_VERSION:
            raise StoreError(f"store schema {version} is newer than this DigitPad understands "
                             f"({SCHEMA_VERSION}); update DigitPad", self.path)
        if version >= 1:
            missing = sorted(_COLUMNS - {r[1] for r in db.execute("PRAGMA table_info(samples)")})
            if missing:
                lacks = "its samples table" if "samples" not in tables else "columns " + ", ".join(missing)
                raise StoreError(f"not a usable sample store: schema {version} but {lacks} missing", self.path)
        return version

    def _migrate(self) -> None:
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have done it
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(_MIGRATIONS[v]):  # executescript would COMMIT early
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={v}")
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")

    # -- writing ------------------------------------------------------------------------------
    def _insert(self, db, rows: list[tuple]) -> list[int | None]:
        """Insert checked rows; a row without a split gets one from its digit's running count
        (one count per digit per transaction, so an import's lock time grows linearly)."""
        counts = dict(db.execute("SELECT label, COUNT(*) FROM samples GROUP BY label").fetchall())
        ids = []
        for row in rows:
            found = db.execute("SELECT id, deleted FROM samples WHERE uid=?", (row[0],)).fetchone()
            if found is not None:  # stored already; one deleted is brought back, as adding it again asks
                if found[1]:
                    db.execute("UPDATE samples SET deleted=0 WHERE id=?", (found[0],))
                ids.append(found[0] if found[1] else None)
                continue
            label, split = row[1], row[4]
            n = counts.get(label, 0)
            if split is None:
                split = "test" if n % TEST_EVERY == TEST_EVERY - 1 else "train"
                row = row[:4] + (split,) + row[5:]
            # ON CONFLICT(uid) ignores only a sample already stored; any other failure is an error
            cur = db.execute("INSERT INTO samples (uid, label, writer, device, split, created, ink, image, source) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(uid) DO NOTHING", row)
            if cur.rowcount:
                counts[label] = n + 1
            ids.append(cur.lastrowid if cur.rowcount else None)
        return ids

    @_translated
    def add(self, sample: Sample) -> int:
        """Commit one sample durably; returns its id (an existing uid is not added twice)."""
        row = _row(sample)
        with self._write() as db:
            new_id, = self._insert(db, [row])
            if new_id is None:
                return db.execute("SELECT id FROM samples WHERE uid=?", (sample.uid,)).fetchone()[0]
            return new_id

    @_translated
    def add_many(self, samples: Iterable[Sample]) -> int:
        """All or nothing: one transaction; returns how many were new. Every sample is checked
        (and its ink serialised) before the write lock is taken; a bad one raises :class:`SampleError`."""
        rows = []
        for i, s in enumerate(samples):
            try:
                rows.append(_row(s))
            except SampleError as exc:
                raise SampleError(exc.reason, i) from None
        with self._write() as db:
            return sum(i is not None for i in self._insert(db, rows))

    @_translated
    def relabel(self, sample_id: int, label: int) -> int:
        """Returns the old label (for undo)."""
        _check_label(label)
        with self._write() as db:
            row = db.execute("SELECT label FROM samples WHERE id=?", (sample_id,)).fetchone()
            if row is None:
                raise KeyError(sample_id)
            db.execute("UPDATE samples SET label=? WHERE id=?", (int(label), sample_id))
            return int(row[0])

    @_translated
    def set_deleted(self, sample_ids: Iterable[int], deleted: bool = True) -> None:
        """Soft delete, so the dataset view can undo it."""
        ids = [int(i) for i in sample_ids]
        with self._write() as db:
            db.executemany("UPDATE samples SET deleted=? WHERE id=?", [(int(deleted), i) for i in ids])

    # -- reading ------------------------------------------------------------------------------
    def _unreadable(self, row_id, reason: str) -> StoreError:
        return StoreError(f"sample {row_id} in the store cannot be read: {reason}", self.path)

    def _checked(self, row_id, label, split, image) -> np.ndarray:
        """The row's picture, after checking what another program may have written there."""
        if isinstance(label, bool) or label not in range(10):
            raise self._unreadable(row_id, f"its label is {label!r}, not a digit 0-9")
        if split not in ("train", "test"):
            raise self._unreadable(row_id, f"its split is {split!r}, not 'train' or 'test'")
        if not isinstance(image, bytes) or len(image) != _IMAGE_BYTES:
            size = f"{len(image)} bytes" if isinstance(image, bytes) else f"a {type(image).__name__}"
            raise self._unreadable(row_id, f"its picture is {size}, not 28x28 ({_IMAGE_BYTES} bytes)")
        return np.frombuffer(image, np.uint8).reshape(28, 28)

    @_translated
    def samples(self, *, label: int | None = None, writer: str | None = None, split: str | None = None,
                include_deleted: bool = False, with_ink: bool = True) -> list[Sample]:
        where, args = [], []
        if not include_deleted:
            where.append("deleted=0")
        for col, val in (("label", label), ("writer", writer), ("split", split)):
            if val is not None:
                where.append(f"{col}=?")
                args.append(val)
        sql = ("SELECT id, uid, label, writer, device, split, created, {ink}, image, source FROM samples"
               .format(ink="ink" if with_ink else "NULL"))
        if where:
            sql += " WHERE " + " AND ".join(where)
        out = []
        for r in self._db.execute(sql + " ORDER BY id", args).fetchall():
            image = self._checked(r[0], r[2], r[5], r[8]).copy()
            try:
                ink = None if r[7] is None else parse_ink(r[7])
            except InkError as exc:
                raise self._unreadable(r[0], f"its ink is not valid ({exc})") from None
            out.append(Sample(id=r[0], uid=r[1], label=r[2], writer=r[3], device=r[4], split=r[5], created=r[6],
                              ink=ink, image=image, source=r[9]))
        return out

    @_translated
    def inks(self, ids: list[int]) -> list[Ink | None]:
        """The inks of the samples ``ids``, in that order (None: a sample that came as a picture,
        or is no longer there), without their pictures: what a model reads them from."""
        found: dict[int, Ink | None] = {}
        for start in range(0, len(ids), 500):  # SQLite's limit on parameters
            chunk = [int(i) for i in ids[start:start + 500]]
            rows = self._db.execute(f"SELECT id, ink FROM samples WHERE id IN ({','.join('?' * len(chunk))})",
                                    chunk).fetchall()
            for row_id, text in rows:
                try:
                    found[row_id] = None if text is None else parse_ink(text)
                except InkError as exc:
                    raise self._unreadable(row_id, f"its ink is not valid ({exc})") from None
        return [found.get(int(i)) for i in ids]

    @_translated
    def arrays(self, split: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(N, 28, 28) uint8 images and labels of the live samples, fast (no ink parsing)."""
        sql = ("SELECT id, label, split, image FROM samples WHERE deleted=0" + (" AND split=?" if split else "")
               + " ORDER BY id")
        rows = self._db.execute(sql, (split,) if split else ()).fetchall()
        if not rows:
            return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
        for r in rows:
            self._checked(*r)
        x = np.frombuffer(b"".join(r[3] for r in rows), np.uint8).reshape(-1, 28, 28).copy()
        return x, np.array([r[1] for r in rows], np.int64)

    @_translated
    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM samples WHERE deleted=0").fetchone()[0]

    @_translated
    def stats(self) -> dict:
        rows = self._db.execute("SELECT label, writer, split, COUNT(*), MIN(id) FROM samples WHERE deleted=0 "
                                "GROUP BY label, writer, split").fetchall()
        per_digit = {d: {"train": 0, "test": 0} for d in range(10)}
        per_writer: dict[str, int] = {}
        for label, writer, split, n, first in rows:
            if isinstance(label, bool) or label not in range(10) or split not in ("train", "test"):
                self._checked(first, label, split, b"\0" * _IMAGE_BYTES)  # raises, naming the row
            per_digit[label][split] += n
            per_writer[writer] = per_writer.get(writer, 0) + n
        total = sum(v["train"] + v["test"] for v in per_digit.values())
        return {"store": str(self.path), "total": total, "per_digit": per_digit, "per_writer": per_writer,
                "schema_version": SCHEMA_VERSION}

    @_translated
    def integrity_ok(self) -> bool:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _check_label(label) -> None:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= label <= 9:
        raise SampleError(f"label must be a digit 0-9, got {label!r}")


def _stored_ink(ink: Ink) -> str:
    """The ink as stored, refused unless it reads back: numbers keep 4 decimals, so a pen
    width of 0.00004 would come back as 0, which no ink may have; and stored text is plain JSON."""
    doc = ink.to_dict()
    if ink.pen_width is not None and not doc.get("pen_width", 0) > 0:
        raise SampleError(f"'pen_width' {ink.pen_width:g} is too small to store: numbers are kept to 4 decimals, "
                          f"so it would become 0")
    try:
        text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise SampleError("the ink holds NaN or infinity, which JSON cannot store") from None
    try:
        parse_ink(text)
    except InkError as exc:
        raise SampleError(f"the ink would not read back once stored with 4 decimals: {exc}") from None
    return text


def _row(s: Sample) -> tuple:
    """The values stored for ``s`` (the split may be None: the store assigns it), or :class:`SampleError`."""
    _check_label(s.label)
    image = np.asarray(s.image)
    if image.shape != (28, 28):
        raise SampleError(f"sample image must be 28x28, got {image.shape}")
    if image.dtype != np.uint8:
        image = np.asarray(image, np.float64)
        if not np.isfinite(image).all():
            raise SampleError("sample image has NaN or infinite values")
        image = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
    if s.split not in (None, "train", "test"):
        raise SampleError(f"split must be 'train' or 'test', got {s.split!r}")
    created = s.created
    if isinstance(created, bool) or not isinstance(created, (int, float, np.number)) or not math.isfinite(created):
        raise SampleError(f"'created' must be a time in seconds since 1970, got {created!r}")
    if not isinstance(s.uid, str) or not s.uid:
        raise SampleError(f"uid must be a non-empty string, got {s.uid!r}")
    ink = None if s.ink is None else _stored_ink(s.ink)
    return (s.uid, int(s.label), _one_line(s.writer), _one_line(s.device), s.split, float(created), ink,
            np.ascontiguousarray(image).tobytes(), str(s.source))


def _one_line(name: object) -> str:
    """A writer's or device's name as one line of printable text: lists, counts and exports show
    it on one, and a terminal shows it without obeying escape codes in it."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(name)).split())


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
