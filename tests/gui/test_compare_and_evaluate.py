"""Model > Compare With… (two models on every drawing) and Model > Evaluate… (a report on a set)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_support import drag, wait_for_answer

ROOT = Path(__file__).resolve().parents[2]
PAPER = ROOT / "models" / "paper.keras"
SEVEN = [(60, 60), (220, 60), (130, 250)]


@pytest.fixture
def small_set(tmp_path, mnist_file) -> Path:
    with np.load(mnist_file) as d:
        np.savez(tmp_path / "small.npz", x=d["x_test"][:300], y=d["y_test"][:300])
    return tmp_path / "small.npz"


def test_compare_shows_both_models_answers_for_each_drawing_and_stops(qtbot, window):
    w = window
    w.compare_with(str(PAPER))
    qtbot.waitUntil(lambda: w.second is not None and w.compare_dock.isVisible(), timeout=30000)
    assert "paper" in w.compare.titles[1].text() and w.model.name in w.compare.titles[0].text()
    drag(qtbot, w.canvas, SEVEN)
    wait_for_answer(qtbot, w)
    qtbot.waitUntil(lambda: w.worker.is_answered(w.COMPARED) and all(r is not None for r in w.compare.recognitions),
                    timeout=10000)
    a, b = w.compare.recognitions
    assert a.digit == w.last_result.recognition.digit  # A is the window's own answer
    assert b.probabilities.shape == (10,) and not np.allclose(a.probabilities, b.probabilities)
    # B started from A's centred picture; it is what the second model reads from the ink itself
    from digitpad.ml.numpy_recognizer import load_recognizer
    alone = load_recognizer(PAPER).recognise_ink(w.canvas.snapshot())
    assert np.array_equal(b.preprocessed.image, alone.preprocessed.image)
    assert np.allclose(b.probabilities, alone.probabilities, atol=1e-6)
    assert w.compare.agreement_text() == w.compare.agreement.text() != ""
    w.canvas.clear()
    qtbot.waitUntil(lambda: w.compare.recognitions == [None, None], timeout=5000)

    w.stop_comparing()
    assert not w.compare_dock.isVisible() and w.second is None
    seen = w.worker.latest_id(w.COMPARED)
    drag(qtbot, w.canvas, SEVEN)
    wait_for_answer(qtbot, w)
    assert w.worker.latest_id(w.COMPARED) == seen  # nothing more is asked of the second model


def test_a_model_that_fails_to_open_for_comparison_is_one_message_and_changes_nothing(qtbot, window, tmp_path):
    w = window
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a model")
    w.compare_with(str(bad))
    qtbot.waitUntil(lambda: w.last_error is not None, timeout=10000)
    assert "bad.keras" in w.last_error and w.second is None and not w.compare_dock.isVisible()


class _Fake:
    """A recognition as the panel reads it."""

    def __init__(self, probs):
        self.probabilities = np.asarray(probs, np.float32)
        self.reconstruction_error = None
        self.digit_likeness = None

    @property
    def digit(self):
        return int(np.argmax(self.probabilities))

    @property
    def confidence(self):
        return float(np.max(self.probabilities))


def test_the_panel_marks_a_disagreement(qtbot):
    from digitpad.core.verdict import Thresholds
    from digitpad.gui.compare_panel import ComparePanel

    p = ComparePanel()
    qtbot.addWidget(p)
    p.set_models(("mine", "theirs"), (Thresholds(0.5), Thresholds(0.5)))
    seven, one = np.eye(10)[7] * 0.9 + 0.01, np.eye(10)[1] * 0.9 + 0.01
    p.show_answer(0, _Fake(seven))
    p.show_answer(1, _Fake(seven))
    assert not p.disagree and p.agreement.text() == "They agree: both read 7."
    p.show_answer(1, _Fake(one))
    assert p.disagree and p.agreement.text().startswith("They disagree: A reads 7, B reads 1")
    assert "e05d44" in p.agreement.styleSheet()
    p.show_answer(1, _Fake(np.full(10, 0.1)))  # B not sure: still a disagreement
    assert p.disagree and "B is not sure" in p.agreement.text()


def test_evaluate_reads_a_set_on_the_worker_and_shows_the_report(qtbot, window, small_set):
    w = window
    w.reports.evaluate("file", str(small_set))
    qtbot.waitUntil(lambda: w.reports.dialog is not None and w.reports.dialog.isVisible(), timeout=60000)
    view = w.reports.dialog.view
    assert view.cell_counts.sum() == 300 and w.reports.last is None  # one model: no comparison
    assert "small.npz" in w.reports.dialog.windowTitle()
    drag(qtbot, w.canvas, SEVEN)  # the window still answers
    assert wait_for_answer(qtbot, w).digit is not None


def test_compare_on_a_set_gives_both_models_and_mcnemar(qtbot, window, tmp_path, mnist_file):
    w = window
    with np.load(mnist_file) as d:  # enough digits for the two models to differ somewhere
        np.savez(tmp_path / "set.npz", x=d["x_test"][:1500], y=d["y_test"][:1500])
    small_set = tmp_path / "set.npz"
    w.compare_with(str(PAPER))
    qtbot.waitUntil(lambda: w.second is not None, timeout=30000)
    w.reports.evaluate("file", str(small_set), compare=True)
    qtbot.waitUntil(lambda: w.reports.dialog is not None and w.reports.last is not None, timeout=60000)
    c = w.reports.last
    assert c.names == (w.model.name, "paper") and len(c.labels) == 1500
    from digitpad.core.labelled_sets import load_labelled
    from digitpad.ml.evaluation import predict_set
    from digitpad.ml.numpy_recognizer import load_recognizer

    data = load_labelled(small_set)
    assert np.array_equal(c.b, predict_set(load_recognizer(PAPER), data))  # what `evaluate` reads
    assert len(c.disagree) > 0 and "McNemar" in w.reports.dialog.view.summary.text()


def test_evaluation_failures_and_cancel_leave_the_app_as_it_was(qtbot, window, tmp_path, mnist_file):
    w = window
    w.reports.evaluate("file", str(tmp_path / "missing.npz"))
    qtbot.waitUntil(lambda: w.reports.failure is not None, timeout=10000)
    assert "missing.npz" in w.reports.failure and "\n" not in w.reports.failure
    assert w.reports.dialog is None
    w.mnist_path = str(mnist_file)
    progressed = []
    w.worker.evaluationProgress.connect(lambda job, done, total: progressed.append(done))
    w.reports.evaluate("mnist")  # 10,000 digits: cancelled long before the end
    qtbot.waitUntil(lambda: len(progressed) >= 1, timeout=30000)
    from PySide6.QtWidgets import QPushButton

    w.reports.progress.findChild(QPushButton).click()  # the dialog's Cancel
    seen = len(progressed)
    w.worker.call_on_worker(lambda: None).result(timeout=30)  # whatever was queued has run
    qtbot.wait(100)
    assert len(progressed) <= seen + 1 and progressed[-1] < 10000  # it stopped
    assert w.reports.dialog is None and w.reports.progress is None and w.reports.failure is None
    drag(qtbot, w.canvas, SEVEN)
    assert wait_for_answer(qtbot, w).digit is not None


def test_a_second_evaluation_replaces_the_first_and_its_report_is_whole(qtbot, window, tmp_path, mnist_file):
    """The first one's chunks must neither write into the second nor be reported."""
    w = window
    with np.load(mnist_file) as d:
        np.savez(tmp_path / "big.npz", x=d["x_test"][:3000], y=d["y_test"][:3000])
        np.savez(tmp_path / "small.npz", x=d["x_test"][5000:5250], y=d["y_test"][5000:5250])
    w.reports.evaluate("file", str(tmp_path / "big.npz"))
    w.reports.evaluate("file", str(tmp_path / "small.npz"))
    qtbot.waitUntil(lambda: w.reports.dialog is not None, timeout=60000)
    qtbot.wait(500)  # were the first one still going, its report would come now
    view = w.reports.dialog.view
    assert "small.npz" in w.reports.dialog.windowTitle()
    assert view.cell_counts.sum() == 250 and view.cell_counts.shape[1] == 10  # no "blank" column: all read


def test_two_not_a_digit_verdicts_agree(qtbot):
    from digitpad.core.verdict import Thresholds
    from digitpad.gui.compare_panel import ComparePanel

    p = ComparePanel()
    qtbot.addWidget(p)
    strict = Thresholds(0.5, None, 0.9)  # digit-likeness below 0.9: not a digit
    p.set_models(("mine", "theirs"), (strict, strict))
    a, b = _Fake(np.eye(10)[4] * 0.9 + 0.01), _Fake(np.eye(10)[1] * 0.9 + 0.01)
    a.digit_likeness = b.digit_likeness = 0.01
    p.show_answer(0, a)
    p.show_answer(1, b)
    assert not p.disagree and p.agreement.text() == "They agree: both say not a digit."


def test_the_set_chooser_shows_its_field_hint_whole(qtbot, settings):
    """The formats the field takes are said in full under it, not cut off as a placeholder."""
    from digitpad.gui.reports import SetChooser

    chooser = SetChooser(None, settings, held_out=0, title="Evaluate")
    qtbot.addWidget(chooser)
    chooser.show()
    qtbot.waitExposed(chooser)
    room = chooser.path.width() - 12  # the field's frame and margins
    assert chooser.path.fontMetrics().horizontalAdvance(chooser.path.placeholderText()) < room
    assert not chooser.held.isEnabled() and chooser.mnist.isChecked()
    chooser.path.setText("x")
    chooser.path.textEdited.emit("x")
    assert chooser.choice() == ("file", "x")


def test_an_ink_set_is_evaluated_and_its_samples_marked_as_predict_reads_them(qtbot, window, unipen_file,
                                                                              shipped_model, tmp_path):
    """The default reads ink at two widths: the report and the Samples view's marks use both."""
    from digitpad.core.labelled_sets import load_labelled
    from digitpad.core.metrics import score
    from digitpad.ml.evaluation import predict_set
    from digitpad.ml.numpy_recognizer import load_recognizer

    path = tmp_path / "inks.jsonl"
    path.write_text("\n".join(unipen_file.read_text().splitlines()[:60]) + "\n")
    rec = load_recognizer(shipped_model)
    assert len(rec.info.preprocessing.ink_widths) == 2
    data = load_labelled(path)
    expected = predict_set(rec, data)
    w = window
    w.reports.evaluate("file", str(path))
    qtbot.waitUntil(lambda: w.reports.dialog is not None and w.reports.dialog.isVisible(), timeout=60000)
    assert np.array_equal(w.reports.dialog.view.cell_counts, score(data.labels, expected).confusion[:, :10])
    from digitpad.core.sample_store import Sample, SampleStore

    with SampleStore(tmp_path / "s.sqlite") as store:  # as the Samples view asks: ids, pictures, the store
        store.add_many(Sample(label=int(label), image=image, ink=ink)
                       for label, image, ink in zip(data.labels, data.images, data.inks))
        samples = store.samples(with_ink=False)
    got = []
    w.worker.batchPredicted.connect(lambda ids, digits: got.append((ids, digits)))
    w.worker.predict_batch([s.id for s in samples], np.stack([s.image for s in samples]),
                           tmp_path / "s.sqlite").result(timeout=60)
    qtbot.waitUntil(lambda: sum(len(ids) for ids, _ in got) == len(samples), timeout=10000)
    assert len(got) > 1  # 60 samples come in chunks, so drawings are answered between them
    assert ([i for ids, _ in got for i in ids], [d for _, digits in got for d in digits]) \
        == ([s.id for s in samples], expected.tolist())
