"""The sample store under faults a user meets: values it cannot keep, another program's file,
a full disk, a read-only or damaged file, a busy store. Each ends in one line naming the store
(or the line of the imported file) and leaves the store as it was."""
import json
from dataclasses import replace
import sqlite3
import subprocess

import numpy as np
import pytest

from digitpad.core.errors import DataFormatError
from digitpad.core.ink import parse_ink
from digitpad.core.sample_formats import export, import_samples
from digitpad.core.sample_store import APPLICATION_ID, Sample, SampleError, SampleStore, StoreError

INK = {"width": 200, "height": 200, "strokes": [[[40, 40], [160, 40], [80, 180]]]}


def _pictures(n, start=0, **kw):
    return [Sample(label=i % 10, image=np.full((28, 28), i % 256, np.uint8), uid=f"p{i}", **kw)
            for i in range(start, start + n)]


def _jsonl(path, docs):
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def _raw(path):
    return sqlite3.connect(path, isolation_level=None)


def _one_line(err):
    assert "\n" not in str(err.value) and "Traceback" not in str(err.value)
    return str(err.value)


# -- values the store cannot keep ----------------------------------------------------------------
@pytest.mark.parametrize("created", ["NaN", "Infinity", "-Infinity", '"yesterday"', "true", "[1]"])
def test_an_imported_line_with_a_bad_time_is_refused_where_it_is(tmp_path, created):
    good = json.dumps(dict(INK, label=3))
    bad = json.dumps(dict(INK, label=4))[:-1] + f', "created": {created}}}'
    (tmp_path / "in.jsonl").write_text(good + "\n" + bad + "\n")
    with SampleStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(DataFormatError, match=r"in\.jsonl:2: 'created' must be a time") as err:
            import_samples(store, tmp_path / "in.jsonl")  # was: "1 already in the store", and lost
        _one_line(err)
        assert store.count() == 0


def test_a_sample_with_a_bad_time_is_an_error_not_a_duplicate(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(SampleError, match="'created'") as err:
            store.add_many(_pictures(3) + [Sample(label=1, image=np.zeros((28, 28), np.uint8), created=float("nan"))])
        assert err.value.index == 3 and store.count() == 0
        with pytest.raises(ValueError, match="'created'"):
            store.add(Sample(label=1, image=np.zeros((28, 28), np.uint8), created=float("inf")))
        assert store.add_many(_pictures(3)) == 3 and store.add_many(_pictures(4)) == 1  # a uid is still kept once


def test_a_pen_width_the_store_would_round_to_zero_is_refused_where_it_is(tmp_path):
    docs = [dict(INK, label=3, pen_width=0.0004), dict(INK, label=4, pen_width=0.00004)]
    with SampleStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(DataFormatError, match=r"in\.jsonl:2: 'pen_width' 4e-05 is too small") as err:
            import_samples(store, _jsonl(tmp_path / "in.jsonl", docs))
        _one_line(err)
        assert store.count() == 0
        assert import_samples(store, _jsonl(tmp_path / "ok.jsonl", docs[:1])) == (1, 0)
        assert export(store, tmp_path / "out.jsonl", "jsonl") == 1  # the smallest width kept still reads back
        assert json.loads((tmp_path / "out.jsonl").read_text())["pen_width"] == 0.0004


def test_an_ink_holding_nan_is_refused(tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps(dict(INK, label=3))[:-1] + ', "pressure_scale": NaN}\n')
    with SampleStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(DataFormatError, match=r"in\.jsonl:1: the ink holds NaN"):
            import_samples(store, tmp_path / "in.jsonl")


# -- rows another program wrote ------------------------------------------------------------------
def test_a_stored_ink_that_cannot_be_read_is_named_by_its_row(tmp_path):
    path = tmp_path / "s.sqlite"
    with SampleStore(path) as store:
        ids = [store.add(Sample(label=d, image=np.zeros((28, 28), np.uint8), ink=parse_ink(json.dumps(INK))))
               for d in range(3)]
    _raw(path).execute("UPDATE samples SET ink=? WHERE id=?", (json.dumps(dict(INK, pen_width=0)), ids[1]))
    with SampleStore(path) as store:
        with pytest.raises(StoreError, match=rf"sample {ids[1]} in the store cannot be read: its ink") as err:
            store.samples()
        _one_line(err)
        with pytest.raises(StoreError, match=rf"sample {ids[1]}"):
            export(store, tmp_path / "out.jsonl", "jsonl")
        assert not (tmp_path / "out.jsonl").exists()
        assert len(store.samples(with_ink=False)) == 3 and store.arrays()[0].shape == (3, 28, 28)


@pytest.mark.parametrize("change, reason", [("image=x'0102'", "its picture is 2 bytes, not 28x28"),
                                            ("label=12", "its label is 12, not a digit"),
                                            ("split='dev'", "its split is 'dev'")])
def test_a_row_another_program_broke_is_named(tmp_path, change, reason):
    path = tmp_path / "s.sqlite"
    with SampleStore(path) as store:
        store.add_many(_pictures(3))
    db = _raw(path)
    db.execute("PRAGMA ignore_check_constraints=ON")  # as a tool that does not know the schema's rules
    db.execute(f"UPDATE samples SET {change} WHERE id=2")
    db.close()
    with SampleStore(path) as store:
        reads = [store.samples, store.arrays, lambda: export(store, tmp_path / "x.npz", "npz")]
        for read in reads + ([store.stats] if "image" not in change else []):
            with pytest.raises(StoreError, match=f"sample 2 in the store cannot be read: {reason}") as err:
                read()
            _one_line(err)


# -- not a store, or not all of one ---------------------------------------------------------------
def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "notes.sqlite"
    db = _raw(path)
    db.execute("CREATE TABLE notes (body TEXT)")
    db.execute("INSERT INTO notes VALUES ('keep me')")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a DigitPad sample store: another program's database .*notes") as err:
        SampleStore(path)
    _one_line(err)
    assert path.read_bytes() == before  # no tables added, not switched to WAL
    assert [p.name for p in tmp_path.iterdir()] == ["notes.sqlite"]
    marked = tmp_path / "marked.sqlite"
    _raw(marked).execute("PRAGMA application_id=1234")
    with pytest.raises(StoreError, match="another program's database"):
        SampleStore(marked)


def test_stores_are_marked_and_stores_from_before_the_mark_still_open(tmp_path):
    path = tmp_path / "s.sqlite"
    with SampleStore(path) as store:
        store.add_many(_pictures(3))
    assert _raw(path).execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    _raw(path).execute("PRAGMA application_id=0")  # as every store made before the mark
    with SampleStore(path) as store:
        assert store.count() == 3


@pytest.mark.parametrize("damage, says", [
    (["DROP INDEX samples_label", "DROP INDEX samples_writer", "ALTER TABLE samples DROP COLUMN deleted"],
     "columns deleted missing"),
    (["DROP TABLE samples"], "its samples table missing"),
])
def test_a_version_1_store_missing_part_of_its_schema_is_refused(tmp_path, damage, says):
    path = tmp_path / "s.sqlite"
    with SampleStore(path) as store:
        store.add_many(_pictures(3))
    db = _raw(path)
    for statement in damage:
        db.execute(statement)
    db.close()
    with pytest.raises(StoreError, match=f"not a usable sample store: schema 1 but {says}") as err:
        SampleStore(path)
    _one_line(err)


def test_a_damaged_store_says_so(tmp_path):
    path = tmp_path / "s.sqlite"
    with SampleStore(path) as store:
        store.add_many(_pictures(400))
    data = bytearray(path.read_bytes())
    for page in range(4096, len(data), 4096):  # every page but the first (the schema) gets garbage
        data[page + 100:page + 300] = bytes(range(200))
    path.write_bytes(data)
    with SampleStore(path) as store:
        for read in (store.arrays, store.samples, store.stats):
            with pytest.raises(StoreError, match="the store is damaged; restore it from a copy") as err:
                read()
            _one_line(err)


@pytest.mark.parametrize("where", ["schema", "row"])
def test_text_in_the_store_that_is_not_utf8_says_the_store_is_damaged(tmp_path, where):
    """SQLite hands back a damaged text's bytes as they are (here one byte of a table's name, or
    of a sample's writer); Python cannot decode them."""
    path = tmp_path / "s.sqlite"
    with SampleStore(path) as store:
        store.add_many([replace(s, writer="annika") for s in _pictures(3)])
    data = path.read_bytes()
    if where == "schema":
        data = data.replace(b"tablesamplessamples", b"tablesampl\x94ssamples", 1)
    else:  # the rows and the writers' index
        data = data.replace(b"annika", b"ann\x94ka")
    path.write_bytes(data)
    with pytest.raises(StoreError, match="the store is damaged \\(text in it is not UTF-8\\)") as err:
        with SampleStore(path) as store:
            store.samples()
    _one_line(err)


# -- read-only, full, busy ----------------------------------------------------------------------
def _immutable(path, on):
    """chattr +i: a file even root cannot write (chmod does not stop root, and tests run as root in CI)."""
    subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True)


def test_an_immutable_store_can_be_read_but_not_written(tmp_path):
    path = tmp_path / "s.sqlite"
    with SampleStore(path) as store:
        store.add_many(_pictures(5))
    _jsonl(tmp_path / "in.jsonl", [dict(INK, label=1)])
    _immutable(path, True)
    try:
        with SampleStore(path) as store:
            assert store.count() == 5 and store.stats()["total"] == 5 and len(store.samples()) == 5
            for write in (lambda: store.add(_pictures(1, 100)[0]), lambda: store.relabel(1, 2),
                          lambda: import_samples(store, tmp_path / "in.jsonl")):
                with pytest.raises(StoreError, match="the store is read-only: it can be read but nothing") as err:
                    write()
                _one_line(err)
    finally:
        _immutable(path, False)
    new = tmp_path / "new.sqlite"
    new.touch()
    _immutable(new, True)
    try:
        with pytest.raises(StoreError, match="read-only"):
            SampleStore(new)
    finally:
        _immutable(new, False)


def test_a_store_in_a_folder_that_cannot_be_written_is_read_and_exported_but_not_written(tmp_path):
    """SQLite cannot make the store's shared-memory file there (another user's folder, a read-only
    disk): before, even ``samples stats`` said it could not open the store."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "s.sqlite"
    with SampleStore(path) as store:
        store.add_many(_pictures(5))
    _jsonl(tmp_path / "in.jsonl", [dict(INK, label=1)])
    _immutable(path, True)
    _immutable(folder, True)
    try:
        with SampleStore(path) as store:
            assert store.read_only and store.count() == 5 and store.stats()["total"] == 5
            assert export(store, tmp_path / "out.npz", "npz") == 5
            with pytest.raises(StoreError, match="the store is read-only: it can be read but nothing") as err:
                import_samples(store, tmp_path / "in.jsonl")
            _one_line(err)
    finally:
        _immutable(folder, False)
        _immutable(path, False)
    assert sorted(p.name for p in folder.iterdir()) == ["s.sqlite"]
    with SampleStore(path) as store:
        assert not store.read_only and store.count() == 5


def test_a_full_disk_during_an_import_says_so_and_leaves_the_store_as_it_was(tmp_path):
    path = tmp_path / "s.sqlite"
    docs = [dict(INK, label=d % 10, uid=f"u{d}") for d in range(60)]
    with SampleStore(path) as store:
        store.add_many(_pictures(20))
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        # SQLite's own limit gives the SQLITE_FULL a full disk gives, without root or a small file system
        store._db.execute(f"PRAGMA max_page_count={pages + 3}")
        with pytest.raises(StoreError, match="database or disk is full; nothing was written") as err:
            import_samples(store, _jsonl(tmp_path / "in.jsonl", docs))
        assert "no transaction is active" not in _one_line(err)
        assert store.count() == 20 and store.integrity_ok()
        store._db.execute("PRAGMA max_page_count=1073741823")
        assert import_samples(store, tmp_path / "in.jsonl") == (60, 0)


def test_a_busy_store_says_so(tmp_path):
    path = tmp_path / "s.sqlite"
    SampleStore(path).close()
    other = _raw(path)
    other.execute("BEGIN IMMEDIATE")  # another program in the middle of a write
    try:
        with SampleStore(path, timeout=0.1) as store:  # opening needs no write lock: reading goes on
            assert store.count() == 0
            with pytest.raises(StoreError, match=r"the store is busy \(locked by another program\); try again") as e:
                store.add(_pictures(1)[0])
            _one_line(e)
    finally:
        other.execute("ROLLBACK")
    other.execute("PRAGMA journal_mode=DELETE")
    other.execute("BEGIN EXCLUSIVE")  # a program holding the whole file: even opening has to wait
    try:
        with pytest.raises(StoreError, match="busy"):
            SampleStore(path, timeout=0.1)
    finally:
        other.close()


# -- lock time --------------------------------------------------------------------------------
def test_an_import_counts_each_digit_once_and_assigns_the_splits_adding_one_by_one_does(tmp_path):
    history = _pictures(7) + _pictures(3, 1000, split="test")
    batch = _pictures(300, 7) + _pictures(5, 2000, split="train") + _pictures(2)  # two already stored
    with SampleStore(tmp_path / "one.sqlite") as one:
        for s in history + batch:
            one.add(s)
        expected = {s.uid: s.split for s in one.samples(with_ink=False)}
    with SampleStore(tmp_path / "many.sqlite") as many:
        many.add_many(history)
        statements = []
        many._db.set_trace_callback(statements.append)
        assert many.add_many(batch) == 305
        many._db.set_trace_callback(None)
        assert {s.uid: s.split for s in many.samples(with_ink=False)} == expected
    assert sum("COUNT(" in s for s in statements) == 1  # not one per row: the lock time grows linearly


def test_a_store_moved_while_open_refuses_writes_until_it_is_back_and_its_file_holds_every_write(tmp_path):
    """SQLite keeps the write-ahead log at the old path: written there, samples would never reach
    the moved file. Each write is also checkpointed into the file itself."""
    path, away = tmp_path / "s.sqlite", tmp_path / "away.sqlite"
    store = SampleStore(path)
    with SampleStore(path) as other:  # another window's or command's connection
        other.add_many(_pictures(3))
    path.rename(away)
    assert store.moved()
    with pytest.raises(StoreError, match="moved or deleted while DigitPad had it open") as err:
        store.add(_pictures(1, 100)[0])
    _one_line(err)
    with SampleStore(away) as copy:
        assert copy.count() == 3
    away.rename(path)
    assert not store.moved()
    store.add(_pictures(1, 100)[0])
    path.rename(away)
    store.close()
    with SampleStore(away) as moved:
        assert moved.count() == 4
