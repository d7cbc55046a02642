"""Fine-tuning from the window: a background job with progress, cancellable, window still usable."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from digitpad.core.sample_store import Sample, SampleStore
from digitpad.core.skeleton import digit_skeletons
from digitpad.core.stroke_digits import segments_to_ink

from gui_support import drag, open_window, wait_for_answer


@pytest.fixture
def small_runs(monkeypatch, mnist_file, tmp_path):
    """Every fine-tuning the window starts runs on a small slice of MNIST (the real defaults take minutes)."""
    from digitpad.ml import training

    monkeypatch.setenv("DIGITPAD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(training, "TrainConfig", functools.partial(
        training.TrainConfig, epochs=1, mnist=str(mnist_file), limit=1200, mnist_per_epoch=600,
        batch_size=32, variants=1))


@pytest.fixture
def tuning_window(qtbot, settings, shipped_model, mnist_test_sample, tmp_path, small_runs):
    x, y = mnist_test_sample
    inks = [segments_to_ink(s) for s in digit_skeletons(x[:60])]
    with SampleStore(tmp_path / "mine.sqlite") as store:
        store.add_many(Sample(label=int(l), image=img, writer="me", ink=inks[i] if i < len(inks) else None)
                       for i, (img, l) in enumerate(zip(x[:200], y[:200])))
    w = open_window(qtbot, settings, shipped_model, str(tmp_path / "mine.sqlite"))
    yield w
    if w.finetune_job is not None:
        w.finetune_job.cancel()
        w.finetune_job.wait(120)
    w.close()


def _a_one(w) -> list[tuple[float, float]]:
    c = w.canvas
    return [(c.width() * 0.5, c.height() * f) for f in np.linspace(0.2, 0.8, 12)]


def test_finetuning_shows_progress_keeps_the_window_usable_and_switches_model(qtbot, tuning_window, tmp_path):
    w = tuning_window
    ticks = []
    w.start_finetune(str(tmp_path / "tuned.keras"))
    job, dialog = w.finetune_job, w.finetune_dialog
    job.progress.connect(lambda done, total: ticks.append((done, total)))
    assert job is not None
    qtbot.waitUntil(dialog.isVisible, timeout=5000)  # at once, before the first progress tick

    drag(qtbot, w.canvas, _a_one(w))  # drawing is still recognised while the job runs
    assert wait_for_answer(qtbot, w, timeout=20000).digit == 1
    assert w.finetune_job is job  # the answer came before the job ended

    qtbot.waitUntil(lambda: w.last_finetune is not None, timeout=600000)
    assert ticks and ticks[-1][0] == ticks[-1][1] > 0
    assert not dialog.isVisible() and w.finetune_job is None
    assert (tmp_path / "tuned.keras").exists() and (tmp_path / "tuned.json").exists()
    held_out = w.last_finetune.after["homemade_test"]["count"]
    assert 30 < held_out < 50  # every 5th of 200 samples
    assert f"Your held-out samples ({held_out})" in w.statusBar().currentMessage()
    assert "MNIST test" in w.statusBar().currentMessage()
    details = w.last_finetune_details  # behind the finished message's "Show Details…"
    assert "your held-out samples, after" in details and details.count("confusion matrix") == 4
    qtbot.waitUntil(lambda: Path(w.model.path).name == "tuned.keras", timeout=60000)


def test_cancelling_keeps_the_current_model_and_saves_nothing(qtbot, tuning_window, tmp_path):
    w = tuning_window
    before = w.model.path
    from PySide6.QtWidgets import QPushButton

    w.start_finetune(str(tmp_path / "tuned.keras"))
    qtbot.waitUntil(w.finetune_dialog.isVisible, timeout=5000)
    w.finetune_dialog.findChild(QPushButton).click()  # the dialog's Cancel button
    qtbot.waitUntil(lambda: w.finetune_job is None, timeout=600000)
    assert "cancelled" in w.last_error
    assert w.last_finetune is None
    assert not (tmp_path / "tuned.keras").exists()
    assert w.model.path == before
