"""A training smoke test on a small subset: the real ``train`` path, end to end."""
import json

import numpy as np

from digitpad.ml.recognizer import Recognizer
from digitpad.ml.training import TrainConfig, train


def test_training_smoke_writes_a_working_model_with_measured_metrics(tmp_path, mnist_file, monkeypatch):
    monkeypatch.setenv("DIGITPAD_CACHE", str(tmp_path / "cache"))
    extra = tmp_path / "extra.npz"
    with np.load(mnist_file) as d:
        np.savez(extra, x=d["x_test"][-200:], y=d["y_test"][-200:])
    out = tmp_path / "smoke.keras"
    cfg = TrainConfig(architecture="paper", output=out, epochs=2, batch_size=32, mnist=str(mnist_file),
                      limit=1800, stroke_mix=0.3, extra=[str(extra)], log_dir=tmp_path / "tb", verbose=0)
    logs = []
    info = train(cfg, log=logs.append)
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["metrics"] == info["metrics"]
    # trained on 1,500 digits for 2 epochs: far better than chance, far from finished
    assert 0.3 < sidecar["metrics"]["mnist_test_accuracy"] < 0.995
    assert 0 < sidecar["thresholds"]["confidence"] < 1 and sidecar["thresholds"]["reconstruction_error"] > 0
    assert sidecar["training"]["extra_digits"] == 200 and sidecar["training"]["train_digits"] == 1500
    assert any((tmp_path / "tb").rglob("events.out.tfevents*"))
    rec = Recognizer.load(out)
    assert rec.info.architecture == "paper" and rec.info.preprocessing.binarize
    assert any("prepared" in line for line in logs)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp.keras")]


def test_stroke_mix_swaps_in_redraws_of_the_same_digits():
    from digitpad.ml.training import StrokeMix, validation_size

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
