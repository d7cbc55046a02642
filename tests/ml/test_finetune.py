"""Fine-tuning: refuses too-small collections, and a smoke run on a small subset end to end."""
import json

import keras
import pytest

from digitpad.core.model_info import ModelInfo
from digitpad.core.preprocess import PreprocessSettings
from digitpad.core.sample_store import Sample, SampleStore
from digitpad.ml.architectures import build
from digitpad.ml.finetune import FinetuneConfig, NotEnoughSamples, finetune
from digitpad.ml.recognizer import Recognizer
from digitpad.ml.training import save


def _store(path, x, y, writer="w"):
    with SampleStore(path) as store:
        store.add_many(Sample(label=int(l), image=img, writer=writer) for img, l in zip(x, y))


def _base(tmp_path):
    keras.utils.set_random_seed(0)  # an untrained base: some initialisations need more than one epoch
    model = build("paper")
    save(model, ModelInfo(name="base", architecture="paper", preprocessing=PreprocessSettings(True, True)),
         tmp_path / "base.keras")
    return tmp_path / "base.keras"


def test_refuses_when_a_digit_has_too_few_samples(tmp_path, mnist_test_sample):
    x, y = mnist_test_sample
    keep = y != 3
    _store(tmp_path / "s.sqlite", x[keep][:60], y[keep][:60])
    with pytest.raises(NotEnoughSamples, match="3: 0 train/0 test"):
        finetune(FinetuneConfig(base_model=_base(tmp_path), output=tmp_path / "out.keras",
                                store=tmp_path / "s.sqlite"))
    assert not (tmp_path / "out.keras").exists()


def test_finetune_smoke_reports_before_and_after(tmp_path, mnist_file, mnist_test_sample, monkeypatch):
    monkeypatch.setenv("DIGITPAD_CACHE", str(tmp_path / "cache"))
    x, y = mnist_test_sample
    _store(tmp_path / "s.sqlite", x[:200], y[:200])
    ticks = []
    report = finetune(FinetuneConfig(base_model=_base(tmp_path), output=tmp_path / "tuned.keras",
                                     store=tmp_path / "s.sqlite", epochs=1, mnist=str(mnist_file),
                                     mnist_limit=1200, batch_size=32),
                      log=lambda m: None, progress=lambda done, total: ticks.append((done, total)))
    assert ticks and ticks[-1][0] == ticks[-1][1]
    for when in ("before", "after"):
        assert set(getattr(report, when)) == {"homemade_test", "mnist_test"}
        assert getattr(report, when)["mnist_test"]["count"] == 10000
    # an untrained base is at chance; one short epoch must already beat it on both sets
    assert report.after["homemade_test"]["accuracy"] > report.before["homemade_test"]["accuracy"]
    assert report.after["mnist_test"]["accuracy"] > 0.15  # chance is 0.10
    assert report.mnist_drop_ok  # it improved, so it did not drop
    side = json.loads((tmp_path / "tuned.json").read_text())
    with SampleStore(tmp_path / "s.sqlite") as store:
        n_train = len(store.arrays("train")[1])
    assert side["training"]["finetune"]["homemade_train"] == n_train and 150 < n_train < 170
    assert side["metrics"]["homemade_test_accuracy"] == pytest.approx(report.after["homemade_test"]["accuracy"])
    assert Recognizer.load(tmp_path / "tuned.keras").info.preprocessing.binarize


def test_cancel_saves_nothing(tmp_path, mnist_file, mnist_test_sample, monkeypatch):
    from digitpad.core.errors import DigitPadError

    monkeypatch.setenv("DIGITPAD_CACHE", str(tmp_path / "cache"))
    x, y = mnist_test_sample
    _store(tmp_path / "s.sqlite", x, y)
    with pytest.raises(DigitPadError, match="cancelled"):
        finetune(FinetuneConfig(base_model=_base(tmp_path), output=tmp_path / "tuned.keras",
                                store=tmp_path / "s.sqlite", epochs=2, mnist=str(mnist_file), mnist_limit=1200),
                 log=lambda m: None, cancelled=lambda: True)
    assert not (tmp_path / "tuned.keras").exists()
