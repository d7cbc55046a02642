"""The data side of the one training run, without TensorFlow: MNIST stroke mix, extra sources
and their key selection, and how an epoch is mixed."""
import json

import numpy as np
import pytest

from digitpad.core.errors import DataFormatError
from digitpad.core.training_data import (EpochMaker, ExtraSource, Mix, Pool, StrokeMix, extra_pool, real_digit_bank,
                                         validation_size)
from digitpad.core.preprocess import PreprocessSettings
from digitpad.core.training_presets import preset


def test_stroke_mix_swaps_in_redraws_of_the_same_digits():
    n = 60
    cut = n - validation_size(n)
    train = np.arange(n, dtype=np.uint8)[:, None, None] * np.ones((1, 28, 28), np.uint8)
    index = np.concatenate([np.arange(20), np.arange(cut, n)])
    prepared = {"train": train, "stroke_index": index, "strokes": 255 - train[index]}
    mix = StrokeMix(prepared, share=0.25)
    assert np.array_equal(mix.validation, (255 - train[cut:]).astype(np.float32) / 255)
    base = train[:cut].astype(np.float32) / 255
    rng = np.random.default_rng(0)
    swapped = [np.flatnonzero((mix.apply(base.copy(), rng) != base).any(axis=(1, 2))) for _ in range(200)]
    assert all(s.max() < 20 for s in swapped if len(s))  # only digits that have a redraw
    share = np.mean([len(s) for s in swapped]) / cut
    assert 0.2 < share < 0.3
    x = base.copy()
    assert StrokeMix({"train": train}, share=0.25).apply(x, rng) is x and mix.validation is not None
    assert StrokeMix({"train": train}, share=0.25).validation is None


@pytest.mark.parametrize("spec, path, select", [
    ("data/unipen.jsonl:part=train", "data/unipen.jsonl", {"part": "train"}),
    ("u.jsonl:part=tune,suspect=false", "u.jsonl", {"part": "tune", "suspect": "false"}),
    ("digits.npz", "digits.npz", {}),
    ("C:/data/x.npz", "C:/data/x.npz", {}),  # a drive letter is not a selection
])
def test_extra_sources_parse_a_key_selection(spec, path, select):
    source = ExtraSource.parse(spec)
    assert (source.path, source.select) == (path, select)
    assert str(source) == spec


def _unipen_like(tmp_path):
    lines = []
    for i in range(30):
        part = ("train", "tune", "test")[i % 3]
        lines.append(json.dumps({"width": 100, "height": 100, "strokes": [[[20 + i, 10], [30 + i, 90]]],
                                 "label": i % 10, "writer": f"unipen-abc-w{i % 4}", "part": part,
                                 "suspect": i == 0}))
    path = tmp_path / "u.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_ink_reader_selects_records_by_key(tmp_path):
    from digitpad.core.sample_formats import read_samples

    path = _unipen_like(tmp_path)
    train = read_samples(path, select={"part": "train"})
    assert len(train) == 10 and {s.ink.extra["part"] for s in train} == {"train"}
    assert len(read_samples(path, select={"part": "train", "suspect": "false"})) == 9
    assert len(read_samples(path)) == 30
    with pytest.raises(DataFormatError, match="select"):
        read_samples(tmp_path, fmt="npz", select={"part": "train"})


def test_extra_pool_redraws_inks_and_credits_unipen(tmp_path):
    path = _unipen_like(tmp_path)
    logs = []
    pool = extra_pool([ExtraSource.parse(f"{path}:part=tune")], None, "", variants=2, seed=0, log=logs.append)
    assert len(pool) == 10 and pool.versions.shape == (10, 3, 28, 28) and pool.drawn.all()
    assert not np.array_equal(pool.versions[:, 0], pool.versions[:, 1])  # redrawn, not copied
    assert pool.records[0]["select"] == {"part": "tune"} and "UNIPEN" in pool.records[0]["credit"]
    with pytest.raises(DataFormatError, match="no labelled digits"):
        extra_pool([ExtraSource.parse(f"{path}:part=nothing")], None, "", 1, 0, logs.append)


def test_an_epoch_holds_each_kind_in_its_share():
    mix = Mix.of(600, 100, extra_share=0.4, habit_share=0.0)
    assert (mix.mnist, mix.extra, mix.habits) == (600, 400, 0)
    assert Mix.of(600, 1000, 0.4, 0.0).extra == 1000  # a large pool is used whole
    assert Mix.of(600, 0, 0.4, 0.0).extra == 0
    mix = Mix.of(1300, 50, 0.25, 0.1)  # 2,000 in all
    assert (mix.extra, mix.habits) == (500, 200)

    x = np.zeros((50, 28, 28), np.float32)
    y = np.zeros(50, np.int64)
    versions = np.full((5, 2, 28, 28), 255, np.uint8)
    pool = Pool(versions, np.full(5, 7), np.ones(5, bool))
    habits = (np.full((4, 28, 28), 128, np.uint8), np.full(4, 9))
    make = EpochMaker(x, y, StrokeMix({"train": np.zeros((60, 28, 28), np.uint8)}, 0.0), pool, habits,
                      Mix(30, 20, 10), None, PreprocessSettings(), seed=0)
    xe, ye = make()
    assert xe.shape == (60, 28, 28, 1) and np.bincount(ye, minlength=10)[[0, 7, 9]].tolist() == [30, 20, 10]
    assert np.allclose(xe[ye == 7], 1.0) and np.allclose(xe[ye == 9], 128 / 255)

    # rehearsed real digits take their own share; the user's pool keeps its share of the whole
    mix = Mix.of(450, 100, 0.4, 0.0, 0.0, rehearsal_share=0.15)  # 1,000 in all
    assert (mix.mnist, mix.extra, mix.rehearsal, mix.digits) == (450, 400, 150, 1000)
    bank = (np.full((3, 28, 28), 64, np.uint8), np.array([4, 4, 4]))
    make = EpochMaker(x, y, StrokeMix({"train": np.zeros((60, 28, 28), np.uint8)}, 0.0), pool, habits,
                      Mix(30, 20, 0, rehearsal=15), None, PreprocessSettings(), seed=0, rehearsal=bank)
    xe, ye = make()
    assert np.bincount(ye, minlength=10)[[0, 4, 7, 9]].tolist() == [30, 15, 20, 0]
    assert np.allclose(xe[ye == 4], 64 / 255)


def test_default_finetuning_of_the_hidden_protocols_scale_stays_a_short_run():
    """7,500 collected samples (6,000 to learn from) must fine-tune in under 10 minutes here: at
    up to 0.25 s a step on a slow day, plus a minute of preparing and measuring, that is at most
    1,600 steps of 128. (40,000 MNIST digits an epoch took 2,931 steps and 837 s on 2026-12-03.)"""
    p = preset(from_model=True)
    mix = Mix.of(p["mnist_per_epoch"], 6000, p["extra_share"], p["habits"], p["non_digit_share"], p["rehearsal"])
    batch = 128  # TrainConfig's batch size (ml.training, which this TensorFlow-free test does not import)
    steps = p["epochs"] * int(np.ceil((mix.digits + mix.non_digits) / batch))
    assert mix.extra >= 6000 * 3  # each sample still seen, in its redrawn versions, several times an epoch
    assert steps <= 1600


def test_a_digit_bank_is_read_checked_and_credited(tmp_path):
    logs = []
    assert real_digit_bank(tmp_path / "none.npz", logs.append) is None and "missing" in logs[-1]
    x, y = np.full((4, 28, 28), 9, np.uint8), np.array([0, 1, 2, 3])
    np.savez(tmp_path / "ok.npz", x=x, y=y, source=np.array("unipen-1a-digits.jsonl:part=train"))
    bx, by, record = real_digit_bank(tmp_path / "ok.npz", logs.append)
    assert np.array_equal(bx, x) and by.tolist() == [0, 1, 2, 3] and record["pictures"] == 4
    assert record["rehearsed"] and "UNIPEN" in record["credit"] and record["path"] == str(tmp_path / "ok.npz")
    bad = {"labels": dict(x=x, y=np.array([0, 1, 2, 10])), "shape": dict(x=x[:, :20], y=y),
           "count": dict(x=x, y=y[:3]), "dtype": dict(x=x.astype(np.float32), y=y), "keys": dict(x=x)}
    for name, arrays in bad.items():
        np.savez(tmp_path / f"{name}.npz", **arrays)
        with pytest.raises(DataFormatError):
            real_digit_bank(tmp_path / f"{name}.npz", logs.append)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataFormatError, match="not an .npz"):
        real_digit_bank(tmp_path / "junk.npz", logs.append)
    np.savez(tmp_path / "pickled.npz", x=np.array([object()], dtype=object), y=y)
    with pytest.raises(DataFormatError):  # nothing in a bank is unpickled
        real_digit_bank(tmp_path / "pickled.npz", logs.append)


def test_a_damaged_or_hostile_bank_is_one_clear_error(tmp_path):
    import io
    import zipfile

    x, y = np.full((50, 28, 28), 9, np.uint8), np.arange(50) % 10
    np.savez_compressed(tmp_path / "bank.npz", x=x, y=y)
    whole = (tmp_path / "bank.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(whole[:len(whole) // 2])  # a download or copy cut short
    np.save(tmp_path / "single.npy", x)
    (tmp_path / "single.npy").rename(tmp_path / "single.npz")  # one array, not an archive
    header = io.BytesIO()  # a header that claims a billion pictures over a few bytes
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (10 ** 9, 28, 28)})
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as z:
        z.writestr("x.npy", header.getvalue() + b"\0" * 64)
        z.writestr("y.npy", b"")
    for name, said in (("cut", "not an .npz"), ("single", "single array"), ("huge", "pictures of 28x28")):
        with pytest.raises(DataFormatError, match=said) as err:
            real_digit_bank(tmp_path / f"{name}.npz", print)
        assert f"{name}.npz" in str(err.value) and "\n" not in str(err.value)


def test_a_non_digit_bank_is_read_by_the_same_checked_reader(tmp_path):
    from digitpad.core.training_data import non_digit_pool

    np.savez(tmp_path / "letters.npz", x=np.full((3, 28, 28), 200, np.uint8), source=np.array("unipen-letters"))
    pictures, records = non_digit_pool([ExtraSource(str(tmp_path / "letters.npz"))], 0, print)
    assert (pictures[:3] == 200).all() and records[0]["pictures"] == 3 and "UNIPEN" in records[0]["credit"]
    np.savez(tmp_path / "floats.npz", x=np.ones((3, 28, 28), np.float32))  # would have been cast to 0/1
    with pytest.raises(DataFormatError, match="uint8 pictures"):
        non_digit_pool([ExtraSource(str(tmp_path / "floats.npz"))], 0, print)


def test_the_shipped_real_digit_bank_holds_only_train_writers(unipen_file):
    from digitpad.core.model_files import resources_dir
    from digitpad.core.training_presets import REAL_DIGIT_BANK

    path = resources_dir() / REAL_DIGIT_BANK
    x, y, record = real_digit_bank(path, print)
    with np.load(path, allow_pickle=False) as data:
        writers = set(data["writers"].tolist())
        assert len(data["writers"]) == len(x)
    parts = {}
    for line in unipen_file.read_text().splitlines():
        rec = json.loads(line)
        parts.setdefault(rec["part"], set()).add(rec["writer"])
    assert writers == parts["train"] and not writers & (parts["tune"] | parts["test"])
    assert np.bincount(y, minlength=10).min() > 1000 and "UNIPEN" in record["credit"]


def test_as_bitmap_gives_model_input_of_a_blocky_small_picture(mnist_test_sample):
    from digitpad.core.augment import as_bitmap
    from digitpad.core.preprocess import to_mnist

    x, _ = mnist_test_sample
    rng = np.random.default_rng(0)
    img = to_mnist(x[0]).image
    outs = [as_bitmap(img, rng) for _ in range(40)]
    assert all(o.shape == (28, 28) and o.dtype == np.float32 and 0 <= o.min() and o.max() <= 1 for o in outs)
    assert all(o.max() > 0.5 for o in outs)  # the digit is still there
    assert np.mean([np.abs(o - img).mean() for o in outs]) > 0.02  # and it changed
    # a thin 1 stretched to fill the frame comes back wide: some of the 40 are much wider
    one = np.zeros((28, 28), np.float32)
    one[4:24, 13:15] = 1.0
    widths = [int((as_bitmap(one, rng) > 0.3).any(0).sum()) for _ in range(40)]
    assert max(widths) >= 12 and min(widths) <= 4
    assert as_bitmap(np.zeros((28, 28), np.float32), rng).max() == 0
