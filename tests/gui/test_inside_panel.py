"""The Inside panel: computed only while shown, on the worker, for the drawing on the canvas."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from gui_support import drag, open_window, wait_for_answer

ROOT = Path(__file__).resolve().parents[2]
SEVEN = [(60, 60), (220, 60), (130, 250)]


@pytest.fixture
def inside_window(qtbot, settings, tmp_path, mnist_file):
    """The window on a copy of the default model (its map cache goes beside the copy) and a
    small MNIST (300 test digits), so the map is built in a moment."""
    model = tmp_path / "model.keras"
    shutil.copy(ROOT / "models" / "digitpad-default.keras", model)
    shutil.copy(ROOT / "models" / "digitpad-default.json", tmp_path / "model.json")
    with np.load(mnist_file) as d:
        np.savez(tmp_path / "small-mnist.npz", x_train=d["x_train"][:10], y_train=d["y_train"][:10],
                 x_test=d["x_test"][:300], y_test=d["y_test"][:300])
    w = open_window(qtbot, settings, model)
    w.mnist_path = str(tmp_path / "small-mnist.npz")
    yield w
    w.close()


def _show_inside(qtbot, w):
    w.actions_.inside.trigger()  # View > Inside the Model
    assert w.inside_dock.isVisible()
    qtbot.waitUntil(lambda: w.inside.latent is not None, timeout=30000)


def _inside_results(w) -> list:
    got = []
    w.worker.results(w.INSIDE).connect(got.append)
    return got


def _settle(qtbot, w) -> None:
    """Everything queued on the worker has run and its results reached the window."""
    w.worker.call_on_worker(lambda: None).result(timeout=30)
    qtbot.wait(50)


def test_hidden_panel_asks_nothing_of_the_worker(qtbot, inside_window):
    w = inside_window
    got = _inside_results(w)
    assert not w.inside_dock.isVisible()
    drag(qtbot, w.canvas, SEVEN)
    wait_for_answer(qtbot, w)
    _settle(qtbot, w)
    assert got == [] and w.inside.explanation is None and not w._map_asked


def test_shown_panel_follows_the_drawing_layer_and_digit(qtbot, inside_window):
    w = inside_window
    _show_inside(qtbot, w)
    assert "300 MNIST test digits" in w.inside.map_status.text()
    assert (Path(w.model.path).parent / "model.keras.latent-map.npz").is_file()
    drag(qtbot, w.canvas, SEVEN)
    qtbot.waitUntil(lambda: w.inside.explanation is not None and w.worker.is_answered(w.INSIDE), timeout=10000)
    expl = w.inside.explanation
    answer = int(np.argmax(expl.inside.probabilities))
    assert expl.layer == "enc_stem" and expl.target == answer
    assert w.inside.layer_box.count() == len(expl.inside.layers) >= 3
    assert w.inside.maps_item.image is not None and w.inside.you.data.size == 1
    assert len(expl.neighbours) == 8 and w.inside.neighbour_labels[0].pixmap() is not None
    assert "nearest MNIST test digits:" in w.inside.neighbours_caption.text()

    # another layer, another digit: the worker is asked again and the panel follows
    w.inside.layer_box.setCurrentIndex(2)
    other = (answer + 1) % 10
    w.inside.target_box.setCurrentIndex(other + 1)
    qtbot.waitUntil(lambda: w.inside.explanation.target == other
                    and w.inside.explanation.layer == w.inside.layer_box.currentData(), timeout=10000)
    shape = w.inside.explanation.inside.maps[w.inside.explanation.layer].shape
    assert f"{shape[2]} maps of {shape[0]}×{shape[1]}" in w.inside.maps_caption.text()
    assert f"why not {other}" in w.inside.saliency_caption.text()

    # hidden again: the panel's requests stop; a new drawing is recognised without it
    w.actions_.inside.trigger()
    assert not w.inside_dock.isVisible() and not w.actions_.inside.isChecked()
    _settle(qtbot, w)
    got = _inside_results(w)
    w.canvas.clear()
    drag(qtbot, w.canvas, [(80, 40), (80, 260)])
    wait_for_answer(qtbot, w)
    _settle(qtbot, w)
    assert got == [] and w.inside.explanation is None  # the new drawing was not looked inside


def test_a_drawing_made_before_the_map_is_ready_is_placed_when_it_is(qtbot, inside_window):
    w = inside_window
    drag(qtbot, w.canvas, SEVEN)
    wait_for_answer(qtbot, w)
    placed = []
    w.worker.results(w.INSIDE).connect(lambda r: placed.append(r.explanation is not None
                                                             and r.explanation.placed is not None))
    w.set_inside_shown(True)
    qtbot.waitUntil(lambda: w.inside.latent is not None, timeout=30000)
    qtbot.waitUntil(lambda: any(placed) and w.worker.is_answered(w.INSIDE), timeout=10000)
    assert w.inside.explanation.placed is not None and w.inside.you.data.size == 1
    assert "nearest MNIST test digits:" in w.inside.neighbours_caption.text()
    assert w.inside.neighbour_labels[0].pixmap() is not None
    w.inside.reset()  # another model: until its map is ready, no digits of this one's are named
    assert w.inside.neighbours_caption.text() == "nearest MNIST test digits"


def test_clearing_the_canvas_clears_the_panel(qtbot, inside_window):
    w = inside_window
    _show_inside(qtbot, w)
    drag(qtbot, w.canvas, SEVEN)
    qtbot.waitUntil(lambda: w.inside.explanation is not None, timeout=10000)
    w.canvas.clear()
    qtbot.waitUntil(lambda: w.inside.explanation is None, timeout=5000)
    assert w.inside.note.text().startswith("Draw a digit")


def test_no_mnist_no_map_but_the_rest_works(qtbot, inside_window, tmp_path, monkeypatch):
    w = inside_window
    monkeypatch.delenv("DIGITPAD_MNIST", raising=False)
    w.mnist_path = str(tmp_path / "nowhere.npz")
    w.set_inside_shown(True)
    qtbot.waitUntil(lambda: "No map" in w.inside.map_status.text(), timeout=10000)
    assert w.inside.locate_button.isVisibleTo(w.inside)
    drag(qtbot, w.canvas, SEVEN)
    qtbot.waitUntil(lambda: w.inside.explanation is not None, timeout=10000)
    assert w.inside.explanation.placed is None and w.inside.saliency_item.image is not None


def test_hiding_the_panel_pauses_the_map_and_showing_it_goes_on(qtbot, inside_window, tmp_path, mnist_file):
    w = inside_window
    with np.load(mnist_file) as d:
        np.savez(tmp_path / "mid.npz", x_train=d["x_train"][:10], y_train=d["y_train"][:10],
                 x_test=d["x_test"][:4000], y_test=d["y_test"][:4000])
    w.mnist_path = str(tmp_path / "mid.npz")
    done = []
    w.worker.mapProgress.connect(lambda n, total: done.append(n))
    w.set_inside_shown(True)
    qtbot.waitUntil(lambda: len(done) >= 2, timeout=30000)
    w.set_inside_shown(False)
    _settle(qtbot, w)
    paused_at = done[-1]
    _settle(qtbot, w)
    assert done[-1] == paused_at < 4000 and w.inside.latent is None  # no step while hidden
    w.set_inside_shown(True)
    qtbot.waitUntil(lambda: w.inside.latent is not None, timeout=60000)
    assert done[-1] == 4000 and done.count(paused_at) == 1  # it went on from there, not from 0
    assert len(w.inside.latent.labels) == 4000
