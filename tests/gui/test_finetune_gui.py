"""Fine-tuning from the window: a background job with progress, cancellable, window still usable."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

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
    if w.finetuning.job is not None:
        w.finetuning.job.cancel()
        w.finetuning.job.wait(120)
    w.close()


def _global_rect(widget):
    from PySide6.QtCore import QPoint, QRect

    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def _a_one(w) -> list[tuple[float, float]]:
    c = w.canvas
    return [(c.width() * 0.5, c.height() * f) for f in np.linspace(0.2, 0.8, 12)]


def test_finetuning_shows_progress_keeps_the_window_usable_and_switches_model(qtbot, tuning_window, tmp_path):
    from PySide6.QtWidgets import QPushButton

    from digitpad.gui.finetune_job import progress_text

    w = tuning_window
    ticks, labels = [], []
    qtbot.keyClick(w, Qt.Key_F, Qt.ControlModifier | Qt.ShiftModifier)  # Samples > Fine-tune on My Samples
    job, dialog = w.finetuning.job, w.finetuning.dialog
    assert job is not None and dialog.isVisible()  # at once, before TensorFlow or MNIST are touched
    assert dialog.labelText().startswith("Preparing…") and dialog.maximum() == 0  # a busy bar, no count yet
    assert not dialog.frameGeometry().intersects(_global_rect(w.chart))  # the chart stays in view
    assert not dialog.frameGeometry().intersects(_global_rect(w.verdict_label))
    job.progress.connect(lambda done, total: ticks.append((done, total)))
    # the label the dialog shows at each tick (connected after the window's own handler, so it is updated)
    job.progress.connect(lambda done, total: labels.append((dialog.labelText(), progress_text(done, total,
                                                                                            job.epochs))))

    drag(qtbot, w.canvas, _a_one(w))  # drawing is still recognised while the job runs
    assert wait_for_answer(qtbot, w, timeout=20000).digit == 1
    assert w.finetuning.job is job  # the answer came before the job ended

    qtbot.waitUntil(lambda: w.finetuning.last is not None, timeout=600000)
    assert ticks and ticks[-1][0] == ticks[-1][1] > 0
    assert labels and all(shown.startswith(derived) for shown, derived in labels)  # never lagging the count
    assert not dialog.isVisible() and w.finetuning.job is None
    tuned = Path(w.finetuning.last.output)  # next to the store, in models/
    assert tuned.parent == tmp_path / "models" and tuned.exists() and tuned.with_suffix(".json").exists()
    held_out = w.finetuning.last.after["homemade_test"]["count"]
    assert 30 < held_out < 50  # every 5th of 200 samples
    assert f"Your held-out samples ({held_out})" in w.statusBar().currentMessage()
    assert "MNIST test" in w.statusBar().currentMessage()
    # the before/after report, on the held-out samples first, then MNIST test at a click
    report = w.reports.dialog
    assert report.isVisible() and w.reports.last.names == ("before", "after")
    assert len(w.reports.last.labels) == held_out
    assert report.view.cell_counts.sum() == held_out
    with SampleStore(tmp_path / "mine.sqlite") as store:  # listed by their ids, as the Samples view shows them
        assert report.view.ids.tolist() == [s.id for s in store.samples(split="test")]
    assert report.view.caption(0).startswith(f"#{report.view.ids[0]}:")
    switch, keep, back = [b for b in report.findChildren(QPushButton) if b.text().startswith(("Show", "Keep", "Go"))]
    assert switch.text() == "Show MNIST test" and keep.text() == "Keep the new model"
    switch.click()
    assert len(w.reports.last.labels) == 10000 and switch.text() == "Show your held-out samples"
    assert report.view.ids is None  # MNIST test: by position
    assert report.isVisible()  # switching sets does not close it
    qtbot.waitUntil(lambda: Path(w.model.path) == tuned, timeout=60000)
    back.click()  # "Go back to <the old model>"
    qtbot.waitUntil(lambda: Path(w.model.path) != tuned, timeout=60000)
    qtbot.waitUntil(lambda: w.reports.dialog is None, timeout=5000)  # closed, and its pictures freed


def test_cancelling_keeps_the_current_model_and_saves_nothing(qtbot, tuning_window, tmp_path):
    w = tuning_window
    before = w.model.path
    from PySide6.QtWidgets import QPushButton

    w.finetuning.start(str(tmp_path / "tuned.keras"))
    qtbot.waitUntil(w.finetuning.dialog.isVisible, timeout=5000)
    w.finetuning.dialog.findChild(QPushButton).click()  # the dialog's Cancel button
    qtbot.waitUntil(lambda: w.finetuning.job is None, timeout=600000)
    title, text = w.last_notice  # an information, not a warning: the user asked for it
    assert title == "Fine-tuning cancelled" and w.last_error is None
    assert text[0].isupper() and text.startswith("Fine-tuning was cancelled. Nothing was saved")
    assert w.finetuning.last is None
    assert not (tmp_path / "tuned.keras").exists()
    assert w.model.path == before


def test_progress_text_is_derived_from_the_count():
    from digitpad.gui.finetune_job import progress_text, short_digits

    assert progress_text(0, 0, 3) == "Preparing…"
    assert progress_text(44, 100, 3) == "Training: epoch 2 of 3 (44%)"  # not "epoch 1/3 done"
    assert progress_text(33, 100, 3) == "Training: epoch 1 of 3 (33%)"
    assert progress_text(5, 10, 1) == "Training… 50%"
    assert progress_text(100, 100, 3) == "Measuring the new model and saving it…"
    assert short_digits("Short: 3: 2 train/0 test, 7: 0 train/0 test") == {3: 2, 7: 0}


def test_the_time_left_comes_from_the_pace_since_training_began():
    from digitpad.gui.finetune_job import time_left

    assert time_left(10, 100, None, 50.0) == ""  # still preparing
    assert time_left(12, 100, (10, 48.0), 50.0) == ""  # two seconds say nothing yet
    assert time_left(20, 100, (0, 0.0), 60.0) == " — about 4 min left"  # 240 s: 80 steps at 3 s
    assert time_left(90, 100, (0, 0.0), 90.0) == " — under a minute left"
    assert time_left(100, 100, (0, 0.0), 99.0) == ""  # measuring and saving: no count to go by


def test_too_few_samples_is_a_short_notice_and_nothing_starts(qtbot, settings, shipped_model, tmp_path, small_runs,
                                                             mnist_test_sample):
    x, y = mnist_test_sample
    keep = [i for d in range(10) for i in np.flatnonzero(y == d)[:2 if d == 3 else 8]]  # two 3s only
    with SampleStore(tmp_path / "few.sqlite") as store:
        store.add_many(Sample(label=int(y[i]), image=x[i], writer="me") for i in keep)
    w = open_window(qtbot, settings, shipped_model, str(tmp_path / "few.sqlite"))
    qtbot.keyClick(w, Qt.Key_F, Qt.ControlModifier | Qt.ShiftModifier)
    assert w.finetuning.job is None  # said at once: no job, no progress dialog, no TensorFlow
    title, text = w.last_notice
    assert title == "Not enough samples" and w.last_error is None  # it never started: no "stopped"
    assert text[0].isupper() and len(text) < 200, text
    assert text.endswith("Collect more of 3 (2 so far).") and "5 samples of every digit" in text, text
    w.close()


@pytest.fixture
def offline_runs(monkeypatch, tmp_path):
    """Small fine-tuning runs on a machine where MNIST is nowhere DigitPad looks by itself."""
    from digitpad.ml import training

    monkeypatch.setenv("DIGITPAD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DIGITPAD_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no-keras"))
    monkeypatch.delenv("DIGITPAD_MNIST", raising=False)
    monkeypatch.setattr(training, "TrainConfig", functools.partial(
        training.TrainConfig, epochs=1, limit=1200, mnist_per_epoch=600, batch_size=32, variants=1))


def test_offline_the_user_locates_mnist_and_it_is_remembered(qtbot, settings, shipped_model, mnist_test_sample,
                                                              mnist_file, tmp_path, offline_runs, monkeypatch):
    from digitpad.gui.main_window import MainWindow
    from digitpad.gui.mnist_dialog import MnistDialog

    x, y = mnist_test_sample
    with SampleStore(tmp_path / "mine.sqlite") as store:
        store.add_many(Sample(label=int(l), image=img, writer="me") for img, l in zip(x[:200], y[:200]))
    w = open_window(qtbot, settings, shipped_model, str(tmp_path / "mine.sqlite"))
    w.finetuning.start(str(tmp_path / "tuned.keras"))
    qtbot.waitUntil(lambda: w.finetuning.job is None, timeout=120000)
    assert "Fine-tuning needs MNIST" in (w.last_error or ""), (w.last_error, w.last_notice)
    assert "--mnist" not in w.last_error and "DIGITPAD_MNIST" in w.last_error  # where it looked, not CLI advice
    assert "mnist.npz, or a folder with the four IDX files" in w.last_error

    (tmp_path / "not-mnist.npz").write_bytes(b"nope")
    monkeypatch.setattr(MnistDialog, "get_path", classmethod(lambda cls, parent=None, start="":
                                                             str(tmp_path / "not-mnist.npz")))
    w.actions_.locate_mnist.trigger()  # Samples > Locate MNIST…
    assert "not-mnist.npz" in w.last_error and settings.mnist_path is None  # checked, refused, not remembered

    monkeypatch.setattr(MnistDialog, "get_path", classmethod(lambda cls, parent=None, start="": str(mnist_file)))
    w.actions_.locate_mnist.trigger()
    assert settings.mnist_path == str(mnist_file)
    assert "60,000 training and 10,000 test digits" in w.statusBar().currentMessage()
    w.close()

    again = MainWindow(settings=settings, model_path=str(shipped_model), store_path=str(tmp_path / "mine.sqlite"))
    qtbot.addWidget(again)
    again.start_worker()
    qtbot.waitUntil(lambda: again.model is not None, timeout=60000)
    again.finetuning.start(str(tmp_path / "tuned.keras"))
    job, said = again.finetuning.job, []
    assert job.mnist == str(mnist_file)  # remembered: the job gets it
    job.message.connect(said.append)
    qtbot.waitUntil(lambda: any(m.startswith("before:") for m in said) or again.finetuning.job is None,
                    timeout=300000)  # MNIST test was read and the current model measured on it
    assert any("MNIST test" in m for m in said), (said, again.last_error)
    job.cancel()
    qtbot.waitUntil(lambda: again.finetuning.job is None, timeout=600000)
    assert again.last_notice[0] == "Fine-tuning cancelled"
    again.close()


def test_the_mnist_dialog_takes_an_npz_or_a_folder_of_idx_files(qtbot, tmp_path):
    from PySide6.QtWidgets import QDialog

    from digitpad.core.mnist_data import IDX_STEMS
    from digitpad.gui.mnist_dialog import MnistDialog, is_idx_folder

    idx = tmp_path / "idx"
    idx.mkdir()
    for stem in IDX_STEMS.values():
        (idx / (stem + ".gz")).write_bytes(b"")
    (tmp_path / "mnist.npz").write_bytes(b"")
    assert is_idx_folder(idx) and not is_idx_folder(tmp_path)
    for picked, expected in ((idx, idx), (tmp_path / "mnist.npz", tmp_path / "mnist.npz")):
        dialog = MnistDialog(None, str(tmp_path))
        qtbot.addWidget(dialog)
        dialog.selectFile(str(picked))
        dialog.accept()
        assert dialog.result() == QDialog.Accepted and dialog.chosen == str(expected)


def test_the_app_takes_mnist_on_its_command_line(monkeypatch, tmp_path):
    from digitpad import cli
    from digitpad.gui import app

    seen = {}
    monkeypatch.setattr(app, "run", lambda **kwargs: seen.update(kwargs) or 0)
    assert cli.main(["--mnist", str(tmp_path / "mnist.npz")]) == 0
    assert seen["mnist"] == str(tmp_path / "mnist.npz")
