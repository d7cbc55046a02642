"""Fine-tuning: refuses too-small collections, and a smoke run on a small subset end to end."""
import json

import keras
import numpy as np
import pytest

from digitpad.core.model_info import ModelInfo
from digitpad.core.preprocess import PreprocessSettings
from digitpad.core.sample_store import Sample, SampleStore
from digitpad.core.skeleton import digit_skeletons
from digitpad.core.stroke_digits import segments_to_ink
from digitpad.ml.architectures import build
from digitpad.ml.finetune import NotEnoughSamples, check_enough, finetune
from digitpad.ml.recognizer import Recognizer
from digitpad.ml.training import TrainConfig, losses, save


def _store(path, x, y, writer="w", inks=()):
    inks = list(inks) + [None] * (len(x) - len(inks))
    with SampleStore(path) as store:
        store.add_many(Sample(label=int(l), image=img, writer=writer, ink=ink) for img, l, ink in zip(x, y, inks))


def _base(tmp_path, stroke_ratio=0.14):
    keras.utils.set_random_seed(0)  # an untrained base: some initialisations need more than one epoch
    model = build("paper")
    save(model, ModelInfo(name="base", architecture="paper",
                          preprocessing=PreprocessSettings(True, True, stroke_ratio=stroke_ratio)),
         tmp_path / "base.keras")
    return tmp_path / "base.keras"


def test_refuses_when_a_digit_has_too_few_samples(tmp_path, mnist_test_sample):
    x, y = mnist_test_sample
    keep = y != 3
    _store(tmp_path / "s.sqlite", x[keep][:60], y[keep][:60])
    with pytest.raises(NotEnoughSamples, match="3: 0 train/0 test"):
        finetune(TrainConfig(init_from=_base(tmp_path), output=tmp_path / "out.keras"), tmp_path / "s.sqlite")
    assert not (tmp_path / "out.keras").exists()


def test_a_collection_put_wholly_in_training_is_tuned_but_a_too_small_one_is_refused():
    ten = np.repeat(np.arange(10), 10)
    assert check_enough(ten, np.zeros(0, np.int64)) == list(range(10))  # all assigned to training by the user
    assert check_enough(ten, np.array([0, 1, 2])) == [3, 4, 5, 6, 7, 8, 9]
    with pytest.raises(NotEnoughSamples, match="4: 4 train/0 test"):
        check_enough(np.concatenate([ten[ten != 4], [4] * 4]), np.arange(10)[np.arange(10) != 4])
    with pytest.raises(NotEnoughSamples, match="9: 1 train"):
        check_enough(np.concatenate([ten[ten != 9], [9]]), np.arange(10))


@pytest.mark.parametrize("model", ["digitpad-default", "paper"])
def test_finetuning_keeps_the_losses_the_shipped_model_was_trained_with(shipped_model, model):
    from digitpad.core.training_presets import FINETUNE

    sidecar = json.loads((shipped_model.parent / f"{model}.json").read_text())
    trained = sidecar["training"]
    cfg, _ = TrainConfig(init_from=shipped_model.parent / f"{model}.keras").resolved()
    assert cfg.label_smoothing == pytest.approx(trained.get("label_smoothing", 0.0))
    assert cfg.reconstruction_weight == pytest.approx(trained["reconstruction_weight"])
    assert cfg.stroke_mix == pytest.approx(trained["stroke_mix"])
    assert (cfg.epochs, cfg.lr, cfg.extra_share) == (FINETUNE["epochs"], FINETUNE["lr"], FINETUNE["extra_share"])
    assert cfg.architecture == sidecar["architecture"]
    loss, weights = losses(cfg.label_smoothing, cfg.reconstruction_weight, ["digit", "reconstruction"])
    assert loss["digit"].get_config()["label_smoothing"] == pytest.approx(cfg.label_smoothing)
    assert losses(0.0, 1.0, ["digit"])[1] == {"digit": 1.0}  # a classifier-only model


def test_shares_that_leave_no_room_for_mnist_are_refused_in_one_line(shipped_model):
    from digitpad.core.errors import DigitPadError

    base = shipped_model.parent / "digitpad-default.keras"
    TrainConfig(init_from=base, extra_share=0.6).resolved()  # 0.6 + 0.04 + 0.08 + 0.16 leaves 12%
    for bad in ({"extra_share": 0.72}, {"rehearsal": -0.1}, {"habits": 1.0}):
        with pytest.raises(DigitPadError, match="leave MNIST at least 10%"):
            TrainConfig(init_from=base, **bad).resolved()


def test_finetune_smoke_reports_before_and_after(tmp_path, mnist_file, mnist_test_sample, monkeypatch):
    monkeypatch.setenv("DIGITPAD_CACHE", str(tmp_path / "cache"))
    x, y = mnist_test_sample
    inks = [segments_to_ink(s) for s in digit_skeletons(x[:100])]  # half drawn, half pictures
    _store(tmp_path / "s.sqlite", x[:200], y[:200], inks=inks)
    ticks, logged = [], []
    report = finetune(TrainConfig(init_from=_base(tmp_path, 0.1), output=tmp_path / "tuned.keras", epochs=2,
                                  mnist=str(mnist_file), limit=1200, mnist_per_epoch=600, batch_size=32),
                      tmp_path / "s.sqlite", log=logged.append, progress=lambda done, total: ticks.append((done, total)))
    assert ticks and ticks[-1][0] == ticks[-1][1]
    # 600 of the 1,000 MNIST training digits per epoch, homemade ones making up the default 40%,
    # rehearsed real pen digits 16% and writing habits 4% (1,500 in all)
    assert any("each 600 of 1000 MNIST" in m and "oversampled to 600" in m and "+ 60 writing-habit digits" in m
               and "+ 240 rehearsed real digits" in m for m in logged), logged
    assert ticks[-1][1] == 2 * -(-1500 // 32)
    for when in ("before", "after"):
        assert set(getattr(report, when)) == {"homemade_test", "mnist_test"}
        assert getattr(report, when)["mnist_test"]["count"] == 10000
    # an untrained base is at chance; two short epochs must already beat it on both sets
    assert report.after["homemade_test"]["accuracy"] > report.before["homemade_test"]["accuracy"]
    assert report.after["mnist_test"]["accuracy"] > 0.15  # chance is 0.10
    assert report.mnist_drop_ok  # it improved, so it did not drop
    assert report.readings and json.loads(json.dumps(report.summary()))["after"] == report.after  # finetune --json
    side = json.loads((tmp_path / "tuned.json").read_text())
    with SampleStore(tmp_path / "s.sqlite") as store:
        n_train = len(store.arrays("train")[1])
    assert side["metrics"]["homemade_train"] == n_train and 150 < n_train < 170
    store_record, = [d for d in side["training"]["finetune"]["data"] if d["data"] == "sample store"]
    assert store_record["digits"] == n_train and 70 < store_record["inks"] < 90  # their inks were redrawn
    bank, = [d for d in side["training"]["finetune"]["data"] if d.get("rehearsed")]
    assert bank["data"] == "real-digits.npz" and bank["pictures"] > 20000 and "UNIPEN" in bank["credit"]
    assert side["training"]["finetuned_from"] == str(tmp_path / "base.keras")
    assert side["metrics"]["homemade_test_accuracy"] == pytest.approx(report.after["homemade_test"]["accuracy"])
    # it reads ink as its base did: the width is not chosen again on a few held-out samples
    assert Recognizer.load(tmp_path / "tuned.keras").info.preprocessing == PreprocessSettings(True, True, 0.1)
    assert "reading_width" not in side["training"]["finetune"]


def test_cancel_saves_nothing(tmp_path, mnist_file, mnist_test_sample, monkeypatch):
    from digitpad.core.errors import DigitPadError

    monkeypatch.setenv("DIGITPAD_CACHE", str(tmp_path / "cache"))
    x, y = mnist_test_sample
    _store(tmp_path / "s.sqlite", x, y)
    with pytest.raises(DigitPadError, match="cancelled"):
        finetune(TrainConfig(init_from=_base(tmp_path), output=tmp_path / "tuned.keras", epochs=2,
                             mnist=str(mnist_file), limit=1200), tmp_path / "s.sqlite",
                 log=lambda m: None, cancelled=lambda: True)
    assert not (tmp_path / "tuned.keras").exists()
