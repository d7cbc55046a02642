"""The app driven like a user: synthetic mouse drags, shortcuts, files, models."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui_support import drag, wait_for_answer
from digitpad.core.verdict import Verdict


def _box(canvas):
    w, h = canvas.width(), canvas.height()
    s = min(w, h) * 0.6
    return (w - s) / 2, (h - s) / 2, s


def shape(canvas, name):
    x0, y0, s = _box(canvas)
    if name == "1":
        return [[(x0 + 0.35 * s, y0 + 0.2 * s), (x0 + 0.55 * s, y0), (x0 + 0.55 * s, y0 + s)]]
    if name == "7":
        return [[(x0 + 0.1 * s, y0), (x0 + 0.9 * s, y0), (x0 + 0.4 * s, y0 + s)]]
    if name == "0":
        t = np.linspace(0, 2 * np.pi, 60)
        return [list(zip(x0 + s / 2 + 0.32 * s * np.sin(t), y0 + s / 2 - 0.5 * s * np.cos(t)))]
    if name == "4":
        return [[(x0 + 0.6 * s, y0), (x0 + 0.05 * s, y0 + 0.65 * s), (x0 + 0.9 * s, y0 + 0.65 * s)],
                [(x0 + 0.65 * s, y0 + 0.3 * s), (x0 + 0.65 * s, y0 + s)]]
    raise ValueError(name)


@pytest.mark.parametrize("digit", ["1", "7", "0", "4"])
def test_drawing_a_clear_digit_is_recognised(qtbot, window, digit):
    for stroke in shape(window.canvas, digit):
        drag(qtbot, window.canvas, stroke)
    rec = wait_for_answer(qtbot, window)
    assert rec.digit == int(digit)
    assert window.verdict is Verdict.DIGIT
    assert window.chart.heights.argmax() == int(digit)
    assert "recognised in" in window.latency_status.text()


def test_results_arrive_while_the_stroke_is_drawn(qtbot, window):
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    c = window.canvas
    x0, y0, s = _box(c)
    press = QMouseEvent(QEvent.MouseButtonPress, QPointF(x0, y0), QPointF(x0, y0), Qt.LeftButton, Qt.LeftButton,
                        Qt.NoModifier)
    QApplication.sendEvent(c, press)
    for k in range(1, 30):
        p = QPointF(x0 + s * k / 30, y0)
        QApplication.sendEvent(c, QMouseEvent(QEvent.MouseMove, p, p, Qt.NoButton, Qt.LeftButton, Qt.NoModifier))
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=5000)
    assert c.document.drawing  # still holding the button: the answer came mid-stroke


def test_undo_redo_and_clear_by_shortcut(qtbot, window):
    for stroke in shape(window.canvas, "4"):
        drag(qtbot, window.canvas, stroke)
    assert len(window.canvas.document.strokes) == 2
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert len(window.canvas.document.strokes) == 1
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert len(window.canvas.document.strokes) == 2
    qtbot.keyClick(window, Qt.Key_Escape)
    assert window.canvas.document.is_empty
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # clearing is undoable too
    assert len(window.canvas.document.strokes) == 2


def test_empty_canvas_shows_no_prediction(qtbot, window):
    for stroke in shape(window.canvas, "7"):
        drag(qtbot, window.canvas, stroke)
    wait_for_answer(qtbot, window)
    window.actions_.clear.trigger()
    qtbot.wait(200)  # any late result for the old drawing must be dropped
    assert window.verdict is Verdict.EMPTY and window.last_result is None
    assert not window.chart.heights.any()


def test_eraser_removes_the_touched_stroke(qtbot, window):
    for stroke in shape(window.canvas, "4"):
        drag(qtbot, window.canvas, stroke)
    window.actions_.eraser.setChecked(True)
    x0, y0, s = _box(window.canvas)
    drag(qtbot, window.canvas, [(x0 + 0.65 * s, y0 + 0.9 * s), (x0 + 0.66 * s, y0 + 0.92 * s)])
    assert len(window.canvas.document.strokes) == 1
    window.actions_.undo.trigger()
    assert len(window.canvas.document.strokes) == 2


def test_the_collect_windows_live_prediction_stays_in_it(qtbot, window, tmp_path):
    """Issue 14, item 2: Ctrl+K, tick the live prediction, Start, draw a 2, close: the main window,
    its canvas empty, must still show nothing (the worker keeps each window's answers apart)."""
    window.store_path = str(tmp_path / "mine.sqlite")
    qtbot.keyClick(window, Qt.Key_K, Qt.ControlModifier)
    collect = window.collection_window
    qtbot.waitExposed(collect)
    collect.show_prediction.setChecked(True)
    collect.start_button.click()
    c = collect.canvas
    x0, y0, s = c.width() * 0.3, c.height() * 0.2, min(c.width(), c.height()) * 0.5
    drag(qtbot, c, [(x0, y0 + 0.2 * s), (x0 + 0.5 * s, y0), (x0 + s, y0 + 0.3 * s), (x0, y0 + s), (x0 + s, y0 + s)])
    qtbot.waitUntil(lambda: window.worker.is_answered(collect.REQUESTER), timeout=5000)
    qtbot.waitUntil(lambda: collect.prediction.text().startswith("model reads:"), timeout=5000)
    collect.close()
    qtbot.wait(100)
    assert window.canvas.is_empty()
    assert window.last_result is None and window.verdict is Verdict.EMPTY
    assert not window.chart.heights.any()
    collect.store.close()


def test_the_sample_keys_work_from_the_sample_windows(qtbot, window, tmp_path, monkeypatch):
    """Ctrl+K (Collect), Ctrl+L (My Samples) and Ctrl+Shift+F (Fine-tune) act from the Collect and My
    Samples windows as from the main window: they are the same actions, not main-window-only keys."""
    window.store_path = str(tmp_path / "mine.sqlite")
    started = []
    monkeypatch.setattr(window.finetuning, "start", lambda: started.append(True))
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)
    samples = window.dataset_window
    qtbot.waitExposed(samples)
    samples.activateWindow()
    qtbot.waitUntil(samples.isActiveWindow)
    assert window.collection_window is None
    qtbot.keyClick(samples.view, Qt.Key_K, Qt.ControlModifier)
    collect = window.collection_window
    assert collect is not None and collect.isVisible()
    samples.hide()
    collect.activateWindow()
    qtbot.waitUntil(collect.isActiveWindow)
    qtbot.keyClick(collect, Qt.Key_L, Qt.ControlModifier)
    assert samples.isVisible()
    qtbot.waitUntil(samples.isActiveWindow)
    qtbot.keyClick(samples.view, Qt.Key_F, Qt.ControlModifier | Qt.ShiftModifier)
    assert started == [True]
    collect.close()
    collect.store.close()


def test_a_message_from_a_sample_windows_key_opens_over_that_window(qtbot, window, tmp_path, monkeypatch):
    """Ctrl+Shift+F in My Samples with too few samples: "Not enough samples" opens over My Samples,
    not over the main window, which would come to the front and stay there, hiding My Samples."""
    from digitpad.gui import main_window

    window.store_path = str(tmp_path / "mine.sqlite")
    shown = []
    monkeypatch.delenv("DIGITPAD_NO_DIALOGS", raising=False)
    def record(parent, title, text, *rest):
        shown.append((parent, title))

    for kind in ("information", "warning"):  # a real dialog would block the test
        monkeypatch.setattr(main_window.QMessageBox, kind, record)
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)
    samples = window.dataset_window
    qtbot.waitExposed(samples)
    samples.activateWindow()
    qtbot.waitUntil(samples.isActiveWindow)
    qtbot.keyClick(samples.view, Qt.Key_F, Qt.ControlModifier | Qt.ShiftModifier)
    assert shown == [(samples, "Not enough samples")]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.finetuning.tell_not_enough({3: 1})  # as a run's late answer: over the window it was asked from
    assert shown[1] == (samples, "Not enough samples")
    qtbot.keyClick(window, Qt.Key_F, Qt.ControlModifier | Qt.ShiftModifier)
    assert shown[2] == (window, "Not enough samples")
    samples.close()


def test_stale_result_is_not_shown(qtbot, window):
    for stroke in shape(window.canvas, "7"):
        drag(qtbot, window.canvas, stroke)
    wait_for_answer(qtbot, window)
    shown = window.last_result
    from digitpad.gui.worker import RecognitionResult

    dropped = window.stale_dropped
    window.worker._deliver(RecognitionResult(window.REQUESTER, shown.request_id - 1, shown.recognition, 1.0,
                                             shown.submitted))
    assert window.last_result is shown and window.stale_dropped == dropped + 1


def test_bad_model_file_keeps_the_current_model(qtbot, window, tmp_path):
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"PK\x03\x04 this is not a model at all")
    before = window.model
    with qtbot.waitSignal(window.worker.modelFailed, timeout=30000) as blocker:
        window.load_model(str(bad))
    assert str(bad) in blocker.args[1]
    assert window.model is before and str(bad) in window.last_error and "Still using" in window.last_error
    for stroke in shape(window.canvas, "1"):
        drag(qtbot, window.canvas, stroke)
    assert wait_for_answer(qtbot, window).digit == 1


def test_wrong_class_count_model_is_refused(qtbot, window, tmp_path):
    import keras

    inp = keras.Input((28, 28, 1))
    keras.Model(inp, keras.layers.Dense(26)(keras.layers.Flatten()(inp))).save(tmp_path / "letters.keras")
    with qtbot.waitSignal(window.worker.modelFailed, timeout=30000) as blocker:
        window.load_model(str(tmp_path / "letters.keras"))
    assert "10-class" in blocker.args[1]
    assert window.model.path.endswith("digitpad-default.keras")


def test_classifier_only_model_works_and_says_why_no_reconstruction(qtbot, window, tmp_path):
    import keras

    inp = keras.Input((784,))
    keras.Model(inp, keras.layers.Dense(10)(inp)).save(tmp_path / "plain.keras")  # logits, no decoder
    with qtbot.waitSignal(window.worker.modelLoaded, timeout=30000):
        window.load_model(str(tmp_path / "plain.keras"))
    assert not window.model.has_reconstruction
    for stroke in shape(window.canvas, "7"):
        drag(qtbot, window.canvas, stroke)
    rec = wait_for_answer(qtbot, window)
    assert rec.reconstruction is None and abs(rec.probabilities.sum() - 1) < 1e-4
    assert "no decoder" in window.reconstruction.note.text()
    assert str(tmp_path / "plain.keras") in window.settings.recent_models
    marked = [a.toolTip() for a in window.recent_menu.actions() if a.isChecked()]
    assert marked == [str(tmp_path / "plain.keras")]  # the model in use, and only it
    # a recent model that no longer opens: its click ticks it, the failed load must not leave the tick
    (tmp_path / "gone.keras").write_bytes(b"not a model")
    window.settings.add_recent_model(str(tmp_path / "gone.keras"))
    window.recent_menu.aboutToShow.emit()
    gone = next(a for a in window.recent_menu.actions() if a.toolTip().endswith("gone.keras"))
    with qtbot.waitSignal(window.worker.modelFailed, timeout=30000):
        gone.trigger()
    window.recent_menu.aboutToShow.emit()  # as opening the menu again does
    marked = [a.toolTip() for a in window.recent_menu.actions() if a.isChecked()]
    assert marked == [str(tmp_path / "plain.keras")]


def test_a_face_is_not_a_digit(qtbot, window):
    c = window.canvas
    x0, y0, s = _box(c)
    cx, cy, r = x0 + s / 2, y0 + s / 2, s / 2
    t = np.linspace(0, 2 * np.pi, 60)
    drag(qtbot, c, list(zip(cx + r * np.cos(t), cy + r * np.sin(t))))  # head
    drag(qtbot, c, [(cx - r * 0.4, cy - r * 0.3), (cx - r * 0.35, cy - r * 0.25)])  # eyes
    drag(qtbot, c, [(cx + r * 0.4, cy - r * 0.3), (cx + r * 0.45, cy - r * 0.25)])
    m = np.linspace(0.3, np.pi - 0.3, 25)
    drag(qtbot, c, list(zip(cx + r * 0.5 * np.cos(m), cy + r * 0.3 + r * 0.3 * np.sin(m))))  # smile
    wait_for_answer(qtbot, window)
    assert window.verdict is Verdict.NOT_A_DIGIT, window.judgement
    assert "not a digit" in window.verdict_label.text()


def test_random_scribble_is_not_announced_as_a_digit(qtbot, window):
    c = window.canvas
    x0, y0, s = _box(c)
    rng = np.random.default_rng(7)
    drag(qtbot, c, [(x0 + s * a, y0 + s * b) for a, b in rng.random((40, 2))])
    wait_for_answer(qtbot, window)
    assert window.verdict in (Verdict.NOT_SURE, Verdict.NOT_A_DIGIT)


def test_thresholds_come_from_the_sidecar_and_can_be_adjusted(qtbot, window):
    calibrated = window.model.info.thresholds
    assert window.thresholds.confidence == pytest.approx(calibrated["confidence"])
    for stroke in shape(window.canvas, "7"):
        drag(qtbot, window.canvas, stroke)
    wait_for_answer(qtbot, window)
    assert window.verdict is Verdict.DIGIT
    window.confidence_spin.setValue(100.0)  # nothing is ever 100% sure
    assert window.verdict is Verdict.NOT_SURE
    assert window.settings.thresholds_for(window.model.path)["confidence"] == 1.0
    window.reset_thresholds.click()
    assert window.verdict is Verdict.DIGIT


def test_save_and_open_drawing(qtbot, window, tmp_path):
    for stroke in shape(window.canvas, "7"):
        drag(qtbot, window.canvas, stroke)
    assert window.save_drawing_to(str(tmp_path / "seven.json"))
    window.canvas.clear()
    assert window.open_path(str(tmp_path / "seven.json"))
    assert len(window.canvas.document.strokes) == 1
    assert wait_for_answer(qtbot, window).digit == 7


def test_failed_save_keeps_the_drawing(qtbot, window, tmp_path):
    for stroke in shape(window.canvas, "7"):
        drag(qtbot, window.canvas, stroke)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert not window.save_drawing_to(str(blocker / "sub" / "seven.json"))  # a file where a folder must be
    assert len(window.canvas.document.strokes) == 1 and "Cannot" not in window.windowTitle()
    assert str(blocker) in window.last_error


def test_open_image_and_bad_image(qtbot, window, tmp_path, mnist_test_sample):
    import cv2

    x, y = mnist_test_sample
    cv2.imwrite(str(tmp_path / "d.png"), 255 - cv2.resize(x[0], (200, 200)))
    assert window.open_path(str(tmp_path / "d.png"))
    assert wait_for_answer(qtbot, window).digit == y[0]
    (tmp_path / "bad.png").write_bytes(b"nope")
    assert not window.open_path(str(tmp_path / "bad.png"))
    assert "bad.png" in window.last_error and window.canvas.image is not None


def test_paste_image_from_clipboard(qtbot, window, mnist_test_sample):
    from PySide6.QtGui import QGuiApplication

    from digitpad.gui.imaging import to_qimage

    x, y = mnist_test_sample
    QGuiApplication.clipboard().setImage(to_qimage(x[1]))
    window.actions_.paste.trigger()
    assert wait_for_answer(qtbot, window).digit == y[1]


def test_settings_persist_in_the_isolated_store(qtbot, window, settings):
    window.brush_slider.setValue(33)
    window.actions_.dark_canvas.setChecked(False)
    assert settings.brush_size == 33 and settings.dark_canvas is False
    assert settings.last_model.endswith("digitpad-default.keras")
    from digitpad.gui.settings import AppSettings

    default_store = AppSettings()._s.fileName()  # what the app uses when nothing is injected
    assert "qsettings" in default_store and ".config" not in default_store  # never the user's real file


def test_model_info_and_about(window):
    text = window.model_info_text()
    assert "parameters" in text and "MNIST test accuracy" in text
    about = window.about_text()
    assert "TensorFlow" in about and "OpenCV" in about and "Qt" in about


def test_dataset_view_shows_the_models_readings_and_flags_the_misread(qtbot, window, tmp_path, mnist_test_sample):
    from digitpad.core.sample_store import Sample, SampleStore

    x, y = mnist_test_sample
    with SampleStore(tmp_path / "mine.sqlite") as store:
        # 40 real digits, 10 of them given the wrong label: the model should disagree with those
        store.add_many(Sample(label=int(l) if i >= 10 else (int(l) + 5) % 10, image=img, writer="w")
                       for i, (img, l) in enumerate(zip(x[:40], y[:40])))
    window.store_path = str(tmp_path / "mine.sqlite")
    window.open_dataset()
    view = window.dataset_window
    qtbot.waitUntil(lambda: len(view.predictions) == 40, timeout=20000)
    misread = {s.id for s in view.samples if view.predictions[s.id] != s.label}
    mislabelled = {s.id for s in view.samples if s.label != int(y[s.id - min(t.id for t in view.samples)])}
    assert len(mislabelled) == 10 and mislabelled <= misread and len(misread) <= 11
    view.only_wrong.setChecked(True)
    assert view.model.rowCount() == len(misread)
    assert all("→" in view.model.item(r).text() for r in range(view.model.rowCount()))
    view.close()


def test_samples_of_a_deleted_store_are_read_from_their_pictures_and_no_store_is_made(qtbot, window, tmp_path,
                                                                                     mnist_test_sample):
    from digitpad.core.labelled_sets import LabelledSet
    from digitpad.ml.evaluation import predict_set
    from digitpad.ml.numpy_recognizer import load_recognizer

    x, y = mnist_test_sample
    got = []
    window.worker.batchPredicted.connect(lambda ids, digits: got.append(digits))
    gone = tmp_path / "gone.sqlite"
    window.worker.predict_batch(list(range(20)), x[:20], gone).result(timeout=30)
    qtbot.waitUntil(lambda: bool(got), timeout=10000)
    assert not gone.exists()
    expected = predict_set(load_recognizer(window.model.path), LabelledSet(x[:20], y[:20], "pictures"))
    assert got[0] == expected.tolist() and (expected == y[:20]).mean() >= 0.9


def test_the_samples_view_says_a_failed_reading_once_and_forgets_marks_of_an_old_model(qtbot, window, tmp_path,
                                                                                       mnist_test_sample):
    from digitpad.core.sample_store import Sample, SampleStore

    x, y = mnist_test_sample
    with SampleStore(tmp_path / "mine.sqlite") as store:
        store.add_many(Sample(label=int(l), image=img, writer="w") for img, l in zip(x[:30], y[:30]))
    window.store_path = str(tmp_path / "mine.sqlite")
    window.open_dataset()
    view = window.dataset_window
    qtbot.waitUntil(lambda: len(view.predictions) == 30, timeout=20000)
    readings = dict(view.predictions)
    asked = []
    view.predictionsWanted.connect(asked.append)
    ids = [s.id for s in view.samples[:4]]
    for i in ids:
        del view.predictions[i]
    view.predictions_failed(ids, "cannot read these samples (ValueError: boom)")
    assert "could not read 4 samples: cannot read these samples (ValueError: boom)" in view.counts.text()
    view.refresh()
    assert asked == []  # not asked again for what failed
    view.set_predictions(ids[1:], [(readings[i] + 1) % 10 for i in ids[1:]])  # marks of an old model
    window.load_model(window.model.path)  # another model (the same file) in its place
    qtbot.waitUntil(lambda: bool(asked), timeout=20000)
    assert len(asked[-1][0]) == 30 and "could not read" not in view.counts.text()
    qtbot.waitUntil(lambda: len(view.predictions) == 30, timeout=20000)
    assert view.predictions == readings
    view.close()


def test_misread_only_fills_in_as_a_new_models_marks_arrive_and_the_footer_counts_them_down(qtbot, window,
                                                                                            tmp_path,
                                                                                            mnist_test_sample):
    """Before: with "Misread only" on, opening another model left the list empty until toggled,
    and nothing said the marks were still being read."""
    from digitpad.core.sample_store import Sample, SampleStore

    x, y = mnist_test_sample
    wrong = {3: (int(y[3]) + 1) % 10, 7: (int(y[7]) + 2) % 10}  # two samples labelled as another digit
    with SampleStore(tmp_path / "mine.sqlite") as store:
        store.add_many(Sample(label=wrong.get(i, int(l)), image=img, writer="w")
                       for i, (img, l) in enumerate(zip(x[:120], y[:120])))
    window.store_path = str(tmp_path / "mine.sqlite")
    window.open_dataset()
    view = window.dataset_window
    qtbot.waitUntil(lambda: len(view.predictions) == 120, timeout=30000)
    assert f"Marks: {window.model.name}'s reading." in view.counts.text()
    view.only_wrong.setChecked(True)
    misread = {s.id for s in view.samples}
    assert {4, 8} <= misread  # ids count from 1
    counted = []
    view.predictionsWanted.connect(lambda job: counted.append(view.counts.text()))
    window.load_model(window.model.path)
    qtbot.waitUntil(lambda: bool(counted), timeout=20000)
    qtbot.waitUntil(lambda: "to go" in view.counts.text() or len(view.predictions) == 120, timeout=20000)
    qtbot.waitUntil(lambda: len(view.predictions) == 120, timeout=30000)
    assert {s.id for s in view.samples} == misread  # filled in without touching the button
    assert "to go" not in view.counts.text() and view.model.rowCount() == len(misread)
    view.close()


def test_ctrl_l_brings_an_open_samples_window_forward_and_escape_closes_it(qtbot, window, tmp_path):
    from PySide6.QtCore import Qt

    window.store_path = str(tmp_path / "mine.sqlite")
    window.open_dataset()
    view = window.dataset_window
    qtbot.waitExposed(view)
    window.activateWindow()
    window.open_dataset()
    qtbot.waitUntil(lambda: view.isActiveWindow(), timeout=5000)
    qtbot.keyClick(view, Qt.Key_Escape)
    assert not view.isVisible()
    window.open_dataset()
    qtbot.waitUntil(lambda: view.isActiveWindow(), timeout=5000)
    qtbot.keyClick(view.view, Qt.Key_W, Qt.ControlModifier)
    assert not view.isVisible()
    window.open_collection()
    collect = window.collection_window
    qtbot.waitUntil(lambda: collect.isActiveWindow(), timeout=5000)
    qtbot.keyClick(collect.canvas, Qt.Key_W, Qt.ControlModifier)
    assert not collect.isVisible()


def test_an_empty_drawing_file_is_refused_and_a_blank_picture_says_it_has_no_ink(qtbot, window, tmp_path):
    import cv2

    for stroke in shape(window.canvas, "7"):
        drag(qtbot, window.canvas, stroke)
    wait_for_answer(qtbot, window)
    (tmp_path / "empty.json").write_text('{"width": 400, "height": 400, "strokes": []}')
    assert not window.open_path(str(tmp_path / "empty.json"))  # it used to clear the drawing, and say nothing
    assert "no strokes" in window.last_error and len(window.canvas.document.strokes) == 1
    cv2.imwrite(str(tmp_path / "white.png"), np.full((120, 120), 255, np.uint8))
    assert window.open_path(str(tmp_path / "white.png"))
    qtbot.waitUntil(lambda: "no ink found in this picture" in window.verdict_label.text(), timeout=10000)
    window.canvas.clear()
    qtbot.waitUntil(lambda: "draw a digit" in window.verdict_label.text(), timeout=5000)
