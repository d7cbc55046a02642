"""The homemade-sample store: SQLite in WAL mode, one transaction per accepted sample.

Every accepted sample is committed (and fsynced: ``synchronous=FULL``) before ``add`` returns,
so killing the app at any moment loses no accepted sample and never corrupts the store. Several
windows and a CLI export can use one store at once: writers take SQLite's write lock
(``BEGIN IMMEDIATE``) and each sample carries a unique id, so imports never duplicate it.
"""
from __future__ import annotations

import os
import sqlite3
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .errors import DigitPadError
from .ink import Ink, parse_ink

SCHEMA_VERSION = 1
TEST_EVERY = 5  # every 5th sample of each digit goes to the test split: 80/20, balanced per digit

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
    """The store file cannot be opened, is not a DigitPad store, or is newer than this app."""


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
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a usable sample store ({exc})", self.path) from None
        except OSError as exc:
            raise StoreError(f"cannot open ({exc.strerror or exc})", self.path) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "SampleStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"store schema {version} is newer than this DigitPad understands "
                                 f"({SCHEMA_VERSION}); update DigitPad", self.path)
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(_MIGRATIONS[v]):  # executescript would COMMIT early
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={v}")

    # -- writing ------------------------------------------------------------------------------
    def _assign_split(self, db, label: int) -> str:
        n = db.execute("SELECT COUNT(*) FROM samples WHERE label=? AND split IS NOT NULL", (label,)).fetchone()[0]
        return "test" if n % TEST_EVERY == TEST_EVERY - 1 else "train"

    def _insert(self, db, s: Sample) -> int | None:
        if not 0 <= int(s.label) <= 9:
            raise ValueError(f"label must be a digit 0-9, got {s.label!r}")
        image = np.asarray(s.image)
        if image.shape != (28, 28):
            raise ValueError(f"sample image must be 28x28, got {image.shape}")
        if image.dtype != np.uint8:
            image = np.clip(np.round(np.asarray(image, np.float64) * 255), 0, 255).astype(np.uint8)
        split = s.split or self._assign_split(db, int(s.label))
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        cur = db.execute(
            "INSERT OR IGNORE INTO samples (uid, label, writer, device, split, created, ink, image, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (s.uid, int(s.label), s.writer, s.device, split, float(s.created),
             None if s.ink is None else s.ink.to_json(), image.tobytes(), s.source))
        return cur.lastrowid if cur.rowcount else None

    def add(self, sample: Sample) -> int:
        """Commit one sample durably; returns its id (an existing uid is not added twice)."""
        with self._write() as db:
            new_id = self._insert(db, sample)
            if new_id is None:
                return db.execute("SELECT id FROM samples WHERE uid=?", (sample.uid,)).fetchone()[0]
            return new_id

    def add_many(self, samples: Iterable[Sample]) -> int:
        """All or nothing: one transaction; returns how many were new."""
        added = 0
        with self._write() as db:
            for s in samples:
                added += self._insert(db, s) is not None
        return added

    def relabel(self, sample_id: int, label: int) -> int:
        """Returns the old label (for undo)."""
        if not 0 <= int(label) <= 9:
            raise ValueError("label must be a digit 0-9")
        with self._write() as db:
            row = db.execute("SELECT label FROM samples WHERE id=?", (sample_id,)).fetchone()
            if row is None:
                raise KeyError(sample_id)
            db.execute("UPDATE samples SET label=? WHERE id=?", (int(label), sample_id))
            return int(row[0])

    def set_deleted(self, sample_ids: Iterable[int], deleted: bool = True) -> None:
        """Soft delete, so the dataset view can undo it."""
        ids = [int(i) for i in sample_ids]
        with self._write() as db:
            db.executemany("UPDATE samples SET deleted=? WHERE id=?", [(int(deleted), i) for i in ids])

    # -- reading ------------------------------------------------------------------------------
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
        rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [Sample(id=r[0], uid=r[1], label=r[2], writer=r[3], device=r[4], split=r[5], created=r[6],
                       ink=None if r[7] is None else parse_ink(r[7]),
                       image=np.frombuffer(r[8], np.uint8).reshape(28, 28).copy(), source=r[9]) for r in rows]

    def arrays(self, split: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(N, 28, 28) uint8 images and labels of the live samples, fast (no ink parsing)."""
        sql = "SELECT label, image FROM samples WHERE deleted=0" + (" AND split=?" if split else "") + " ORDER BY id"
        rows = self._db.execute(sql, (split,) if split else ()).fetchall()
        if not rows:
            return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
        x = np.frombuffer(b"".join(r[1] for r in rows), np.uint8).reshape(-1, 28, 28).copy()
        return x, np.array([r[0] for r in rows], np.int64)

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM samples WHERE deleted=0").fetchone()[0]

    def stats(self) -> dict:
        rows = self._db.execute("SELECT label, writer, split, COUNT(*) FROM samples WHERE deleted=0 "
                                "GROUP BY label, writer, split").fetchall()
        per_digit = {d: {"train": 0, "test": 0} for d in range(10)}
        per_writer: dict[str, int] = {}
        for label, writer, split, n in rows:
            per_digit[label][split] += n
            per_writer[writer] = per_writer.get(writer, 0) + n
        total = sum(v["train"] + v["test"] for v in per_digit.values())
        return {"store": str(self.path), "total": total, "per_digit": per_digit, "per_writer": per_writer,
                "schema_version": SCHEMA_VERSION}

    def integrity_ok(self) -> bool:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
