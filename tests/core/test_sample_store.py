"""The sample store: round trips, splits, crash safety, concurrent writers, import/export."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from support import ROOT
from digitpad.core.errors import DataFormatError, InkError
from digitpad.core.ink import ink_to_mnist, parse_ink
from digitpad.core.sample_formats import export, import_samples
from digitpad.core.sample_store import Sample, SampleStore, StoreError

INK = {"width": 200, "height": 200, "strokes": [[[40, 40, 0.5, 0], [160, 40, 0.6, 20], [80, 180, 0.7, 60]]]}


def _ink(label):
    doc = json.loads(json.dumps(INK))
    doc["strokes"][0][1][0] += 5 * label  # a different drawing per digit
    return parse_ink(json.dumps(doc))


def _sample(label=7, writer="ana", **kw):
    """Like the app: the stored picture is the model's view of the ink."""
    ink = _ink(label)
    img = np.round(ink_to_mnist(ink).image * 255).astype(np.uint8)
    return Sample(label=label, image=img, ink=ink, writer=writer, device="mouse", **kw)


def test_round_trip_and_stats(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        ids = [store.add(_sample(d % 10)) for d in range(30)]
        assert len(set(ids)) == 30
        back = store.samples(label=3)
        assert len(back) == 3 and back[0].ink == _ink(3) and back[0].image.dtype == np.uint8
        assert np.array_equal(back[0].image, _sample(3).image)
        stats = store.stats()
        assert stats["total"] == 30 and stats["per_writer"] == {"ana": 30}
        x, y = store.arrays()
        assert x.shape == (30, 28, 28) and sorted(y.tolist()) == sorted(d % 10 for d in range(30))


def test_split_is_deterministic_and_balanced_per_digit(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        for _ in range(10):
            for d in range(10):
                store.add(_sample(d))
        counts = store.stats()["per_digit"]
        assert all(c == {"train": 8, "test": 2} for c in counts.values())
        store.add(_sample(4, split="test"))  # an explicit split wins
        assert store.stats()["per_digit"][4]["test"] == 3


def test_same_uid_is_not_added_twice(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        s = _sample()
        assert store.add(s) == store.add(s)
        assert store.add_many([s, _sample()]) == 1 and store.count() == 2


def test_relabel_and_soft_delete(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        i = store.add(_sample(1))
        assert store.relabel(i, 7) == 1 and store.samples()[0].label == 7
        store.set_deleted([i])
        assert store.count() == 0 and len(store.samples(include_deleted=True)) == 1
        store.set_deleted([i], False)
        assert store.count() == 1


def test_bad_values_are_refused_and_nothing_half_written(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(ValueError):
            store.add_many([_sample(1), _sample(1, split="validation")])
        assert store.count() == 0
        with pytest.raises(ValueError):
            store.add(Sample(label=12, image=np.zeros((28, 28), np.uint8)))


def test_not_a_store_and_newer_schema(tmp_path):
    (tmp_path / "junk.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="junk.sqlite"):
        SampleStore(tmp_path / "junk.sqlite")
    db = sqlite3.connect(tmp_path / "future.sqlite")
    db.execute("PRAGMA user_version=99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema 99 is newer"):
        SampleStore(tmp_path / "future.sqlite")


WRITER = """
import sys, numpy as np
sys.path.insert(0, {app!r})
from digitpad.core.sample_store import Sample, SampleStore
store = SampleStore({path!r})
i = 0
while True:
    store.add(Sample(label=i % 10, image=np.full((28, 28), i % 256, np.uint8), writer={name!r}, uid={name!r} + str(i)))
    print(i, flush=True)
    i += 1
"""


def _writer(path, name):
    return subprocess.Popen([sys.executable, "-c", WRITER.format(app=str(ROOT / "app"), path=str(path), name=name)],
                            stdout=subprocess.PIPE, text=True)


def test_kill_during_writes_keeps_every_committed_sample(tmp_path):
    path = tmp_path / "s.sqlite"
    proc = _writer(path, "w")
    acknowledged = -1
    deadline = time.time() + 30
    while acknowledged < 60 and time.time() < deadline:
        acknowledged = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with SampleStore(path) as store:
        assert store.integrity_ok()
        uids = {s.uid for s in store.samples(with_ink=False)}
    assert {f"w{i}" for i in range(acknowledged + 1)} <= uids  # every acknowledged sample survived


def test_concurrent_writers_and_a_reader_lose_and_duplicate_nothing(tmp_path):
    path = tmp_path / "s.sqlite"
    SampleStore(path).close()
    procs = [_writer(path, name) for name in ("a", "b")]
    seen = {"a": -1, "b": -1}
    reader = SampleStore(path)
    deadline = time.time() + 60
    while min(seen.values()) < 40 and time.time() < deadline:
        for name, p in zip(("a", "b"), procs):
            seen[name] = int(p.stdout.readline())
        reader.stats()  # an export running meanwhile
    for p in procs:
        p.terminate()
        p.wait()
    reader.close()
    with SampleStore(path) as store:
        samples = store.samples(with_ink=False)
    uids = [s.uid for s in samples]
    assert len(uids) == len(set(uids))
    for name in ("a", "b"):
        assert {f"{name}{i}" for i in range(seen[name] + 1)} <= set(uids)


@pytest.mark.parametrize("fmt, name", [("jsonl", "out.jsonl"), ("npz", "out.npz"), ("idx", "idx"), ("png", "png")])
def test_export_then_import_gives_back_the_same_samples(tmp_path, fmt, name):
    with SampleStore(tmp_path / "a.sqlite") as a:
        for k in range(25):
            a.add(_sample(k % 10, writer=f"w{k % 3}"))
        original = a.samples()
        assert export(a, tmp_path / name, fmt) == 25
    with SampleStore(tmp_path / "b.sqlite") as b:
        added, present = import_samples(b, tmp_path / name, fmt)
        assert (added, present) == (25, 0)
        back = b.samples()

    def key(s):
        return (s.label, s.split, s.image.tobytes())

    assert sorted(map(key, back)) == sorted(map(key, original))
    if fmt in ("jsonl", "png"):  # these carry writers and ids too
        assert sorted((s.uid, s.writer) for s in back) == sorted((s.uid, s.writer) for s in original)
    if fmt == "jsonl":
        assert all(s.ink == _ink(s.label) for s in back)


def test_mnist_loaders_read_the_idx_export(tmp_path):
    from digitpad.core.mnist_data import load_path

    with SampleStore(tmp_path / "a.sqlite") as a:
        for k in range(50):
            a.add(_sample(k % 10))
        export(a, tmp_path / "idx", "idx")
    data = load_path(tmp_path / "idx")
    assert len(data["x_train"]) == 40 and len(data["x_test"]) == 10


def test_malformed_imports_are_rejected_whole(tmp_path):
    good = json.dumps(dict(INK, label=3, writer="zoe"))
    cases = {
        "bad_json.jsonl": good + "\n{nope\n",
        "no_label.jsonl": good + "\n" + json.dumps(INK) + "\n",
        "bad_split.jsonl": json.dumps(dict(INK, label=3, split="dev")) + "\n",
        "two_digit_label.jsonl": json.dumps(dict(INK, label="12")) + "\n",
        "bad_ink.jsonl": good + "\n" + json.dumps({"width": 5, "label": 2, "strokes": []}) + "\n",
        "empty_ink.jsonl": json.dumps({"width": 5, "height": 5, "label": 2, "strokes": []}) + "\n",
    }
    with SampleStore(tmp_path / "s.sqlite") as store:
        for name, text in cases.items():
            (tmp_path / name).write_text(text)
            with pytest.raises((DataFormatError, InkError)) as err:
                import_samples(store, tmp_path / name)
            assert name in str(err.value)
        assert store.count() == 0
        (tmp_path / "ok.jsonl").write_text(good + "\n")
        assert import_samples(store, tmp_path / "ok.jsonl") == (1, 0)
        assert store.samples()[0].writer == "zoe"
        # what other tools write: a label as text, a capitalised split, a numeric writer id
        (tmp_path / "other.jsonl").write_text(json.dumps(dict(INK, label="7", split="Test", writer=12)) + "\n")
        assert import_samples(store, tmp_path / "other.jsonl") == (1, 0)
        other = store.samples(label=7)[0]
        assert (other.split, other.writer) == ("test", "12")


def test_inks_of_chosen_samples_come_in_the_order_asked(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        a, b = store.add(_sample(1)), store.add(_sample(2))
        picture = store.add(Sample(label=3, image=_sample(3).image))
        many = [store.add(_sample(d % 10, writer=f"w{d}")) for d in range(4, 604)]  # more than one query's worth
        got = store.inks([b, picture, 99999, a] + many)
    assert got[0] == _ink(2) and got[1] is None and got[2] is None and got[3] == _ink(1)
    assert len(got) == 604 and all(ink is not None for ink in got[4:])
