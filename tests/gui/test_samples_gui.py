"""Collection mode driven with synthetic strokes; the dataset view's edits, undo, import and export."""
import json

import pytest

from gui_support import drag
from digitpad.core.sample_store import SampleStore
from digitpad.gui.collect import CollectionWidget, prompt_order


def test_prompt_order_is_balanced_and_repeatable():
    order = prompt_order(3, "ana")
    assert sorted(order) == sorted(list(range(10)) * 3)
    assert order == prompt_order(3, "ana") and order != sorted(order)


@pytest.fixture
def collector(qtbot, tmp_path):
    store = SampleStore(tmp_path / "s.sqlite")
    w = CollectionWidget(store)
    qtbot.addWidget(w)
    w.resize(600, 700)
    w.show()
    qtbot.waitExposed(w)
    yield w
    store.close()


def _draw_something(qtbot, canvas, digit):
    c = canvas
    x0, y0, s = c.width() * 0.3, c.height() * 0.2, min(c.width(), c.height()) * 0.5
    drag(qtbot, c, [(x0, y0 + digit), (x0 + s, y0), (x0 + s * 0.4, y0 + s)])


def test_collect_saves_each_sample_before_the_next_prompt(qtbot, collector, tmp_path):
    from PySide6.QtCore import Qt

    collector.writer.setText("ana")
    collector.per_digit.setValue(2)
    collector.start_button.click()
    asked = []
    for k in range(5):
        digit = collector.current_digit
        asked.append(digit)
        _draw_something(qtbot, collector.canvas, k)
        qtbot.keyClick(collector.canvas, Qt.Key_Return)
        # committed already: a second connection sees it before the next prompt is answered
        with SampleStore(tmp_path / "s.sqlite") as other:
            assert other.count() == k + 1
    with SampleStore(tmp_path / "s.sqlite") as other:
        samples = other.samples()
    assert [s.label for s in samples] == asked
    assert all(s.writer == "ana" and s.ink is not None and s.image.shape == (28, 28) for s in samples)
    assert sum(bar.value() for bar in collector.bars.values()) == 5


def test_empty_drawing_is_not_saved_and_skip_and_redo_last(qtbot, collector, tmp_path):
    from PySide6.QtCore import Qt

    collector.per_digit.setValue(1)
    collector.start_button.click()
    first = collector.current_digit
    qtbot.keyClick(collector.canvas, Qt.Key_Return)  # nothing drawn
    assert collector.store.count() == 0 and collector.current_digit == first
    qtbot.keyClick(collector.canvas, Qt.Key_Space)  # skip: asked again at the end
    assert collector.current_digit != first and collector.order[-1] == first
    second = collector.current_digit
    _draw_something(qtbot, collector.canvas, 1)
    qtbot.keyClick(collector.canvas, Qt.Key_Return)
    assert collector.store.count() == 1
    qtbot.keyClick(collector.canvas, Qt.Key_Backspace)  # redo last: removed and asked again
    assert collector.store.count() == 0 and collector.current_digit == second


def test_dataset_view_relabel_delete_and_undo(qtbot, tmp_path, collector):
    from PySide6.QtCore import QItemSelectionModel

    from digitpad.gui.dataset_view import DatasetView

    collector.per_digit.setValue(1)
    collector.start_button.click()
    for k in range(3):
        _draw_something(qtbot, collector.canvas, k)
        collector.save()
    view = DatasetView(collector.store)
    qtbot.addWidget(view)
    assert view.model.rowCount() == 3
    index = view.model.index(0, 0)
    view.view.selectionModel().select(index, QItemSelectionModel.Select)
    sid = view.selected_ids()[0]
    labels = lambda: {s.id: s.label for s in collector.store.samples()}  # noqa: E731
    before = labels()[sid]
    view.relabel_selected((before + 1) % 10)
    assert labels()[sid] == (before + 1) % 10
    view.undo()
    assert labels()[sid] == before
    view.view.selectionModel().select(view.model.index(0, 0), QItemSelectionModel.Select)
    view.delete_selected()
    assert collector.store.count() == 2 and view.model.rowCount() == 2
    view.undo()
    assert collector.store.count() == 3
    view.set_predictions([s.id for s in view.samples], [(s.label + 1) % 10 for s in view.samples])
    view.only_wrong.setChecked(True)
    assert view.model.rowCount() == 3  # all misread: all highlighted and listed
    view.digit.setCurrentIndex(1 + view.samples[0].label)
    assert all(s.label == view.samples[0].label for s in view.samples)


@pytest.fixture
def dataset_view(qtbot, tmp_path):
    from digitpad.gui.dataset_view import DatasetView

    store = SampleStore(tmp_path / "view.sqlite")
    view = DatasetView(store)
    qtbot.addWidget(view)
    view.show()
    yield view
    if view.transfer is not None:
        view.transfer.wait(60)
    store.close()


def _ink_lines(n_per_digit: int, flip: bool = False) -> str:
    lines = []
    for k in range(n_per_digit):
        for d in range(10):
            pts = [[40, 40], [160, 40 + k], [80 + d, 180]]
            if flip:
                pts = [[x, 200 - y] for x, y in pts]
            lines.append(json.dumps({"width": 200, "height": 200, "strokes": [pts], "label": d, "writer": "bo"}))
    return "\n".join(lines) + "\n"


def test_dataset_view_imports_and_exports_in_the_background(qtbot, dataset_view, tmp_path):
    view = dataset_view
    (tmp_path / "in.jsonl").write_text(_ink_lines(3, flip=True))
    view.import_from(str(tmp_path / "in.jsonl"), y_up=True)
    assert not view.import_button.isEnabled() and view.busy.isVisibleTo(view)
    qtbot.waitUntil(lambda: view.transfer is None, timeout=60000)
    assert view.import_button.isEnabled() and not view.busy.isVisibleTo(view)
    assert "Imported 30 samples" in view.last_message and view.model.rowCount() == 30
    assert view.store.samples()[0].ink.strokes[0][0].tolist() == [40, 40]  # stored upright
    for fmt, name in (("jsonl", "out.jsonl"), ("npz", "out.npz"), ("idx", "idx"), ("png", "png")):
        view.export_to(str(tmp_path / name), fmt)
        qtbot.waitUntil(lambda: view.transfer is None, timeout=60000)
        assert "Exported 30 samples" in view.last_message, view.last_message
    assert (tmp_path / "png" / "labels.csv").exists()
    assert (tmp_path / "out.jsonl").read_text().count("\n") == 30


def test_dataset_view_bad_import_changes_nothing_and_says_why(qtbot, dataset_view, tmp_path):
    view = dataset_view
    (tmp_path / "bad.jsonl").write_text(_ink_lines(1) + '{"width": 5, "height": 5, "strokes": [], "label": 3}\n')
    view.import_from(str(tmp_path / "bad.jsonl"))
    qtbot.waitUntil(lambda: view.transfer is None, timeout=60000)
    assert "bad.jsonl:11" in view.last_message and view.store.count() == 0
    assert view.import_button.isEnabled() and view.model.rowCount() == 0


def test_a_store_moved_away_while_open_is_not_made_again_by_export_nor_written_where_it_is_lost(qtbot, dataset_view,
                                                                                        tmp_path):
    """Before: Export opened a new connection at the old path, which made an empty store there and
    reset the write-ahead log the open one used; saving a sample then said the store was damaged."""
    from digitpad.core.sample_store import Sample, StoreError

    view = dataset_view
    (tmp_path / "in.jsonl").write_text(_ink_lines(1))
    view.import_from(str(tmp_path / "in.jsonl"))
    qtbot.waitUntil(lambda: view.transfer is None, timeout=60000)
    moved = tmp_path / "moved.sqlite"
    (tmp_path / "view.sqlite").rename(moved)
    view.export_to(str(tmp_path / "out.jsonl"), "jsonl")
    qtbot.waitUntil(lambda: view.transfer is None, timeout=60000)
    assert "no longer here (moved or deleted)" in view.last_message and view.export_button.isEnabled()
    assert not (tmp_path / "view.sqlite").exists() and not (tmp_path / "out.jsonl").exists()
    with pytest.raises(StoreError, match="was moved or deleted while DigitPad had it open; put it back"):
        view.store.add(Sample(label=4, image=view.store.samples()[0].image))  # its log is at the old path
    view.store.close()
    with SampleStore(moved) as store:  # what was written is in the file itself, not only in its log
        assert store.count() == 10


def test_an_unexpected_failure_in_a_transfer_is_said_and_gives_the_buttons_back(qtbot, dataset_view, tmp_path,
                                                                               monkeypatch):
    from digitpad.core import sample_formats

    view = dataset_view
    monkeypatch.setattr(sample_formats, "export", lambda *a: 1 / 0)
    view.export_to(str(tmp_path / "out.jsonl"), "jsonl")
    qtbot.waitUntil(lambda: view.transfer is None, timeout=60000)
    assert view.last_message == "unexpected error (ZeroDivisionError: division by zero)"
    assert view.import_button.isEnabled() and view.export_button.isEnabled() and not view.busy.isVisibleTo(view)


def test_collect_keeps_the_drawing_and_its_width_when_the_store_was_moved(qtbot, collector, tmp_path):
    from PySide6.QtCore import Qt

    collector.writer.setText("ana")
    collector.start_button.click()
    (tmp_path / "s.sqlite").rename(tmp_path / "away.sqlite")
    width = collector.width()
    _draw_something(qtbot, collector.canvas, 0)
    strokes = len(collector.canvas.snapshot().strokes)
    qtbot.keyClick(collector.canvas, Qt.Key_Return)
    assert "moved or deleted while DigitPad had it open" in collector.prompt.text()
    assert "Your drawing of the digit <b>" in collector.prompt.text() and "is still here" in collector.prompt.text()
    assert len(collector.canvas.snapshot().strokes) == strokes > 0
    assert collector.minimumSizeHint().width() <= width  # the message wraps: the window need not grow
    (tmp_path / "away.sqlite").rename(tmp_path / "s.sqlite")  # put back: the same drawing is saved
    qtbot.keyClick(collector.canvas, Qt.Key_Return)
    with SampleStore(tmp_path / "s.sqlite") as other:
        assert other.count() == 1


def test_deleting_or_relabelling_in_a_store_moved_away_is_said_and_undo_reselects(qtbot, dataset_view, tmp_path):
    from PySide6.QtCore import QItemSelectionModel

    view = dataset_view
    (tmp_path / "in.jsonl").write_text(_ink_lines(1))
    view.import_from(str(tmp_path / "in.jsonl"))
    qtbot.waitUntil(lambda: view.transfer is None, timeout=60000)
    first = view.model.index(0, 0)
    view.view.selectionModel().select(first, QItemSelectionModel.Select)
    sample = view.samples[0]
    (tmp_path / "view.sqlite").rename(tmp_path / "away.sqlite")
    view.delete_selected()
    assert view.last_message.startswith("Samples not deleted: ") and "moved or deleted" in view.last_message
    view.relabel_selected((sample.label + 1) % 10)
    assert view.last_message.startswith("Samples not relabelled: ")
    assert view.model.rowCount() == 10 and view._undo == []
    assert view.counts.text().startswith("The store's file was moved or deleted: put it back to make changes.")
    (tmp_path / "away.sqlite").rename(tmp_path / "view.sqlite")
    view.delete_selected()
    assert view.model.rowCount() == 9
    view.undo()
    assert view.model.rowCount() == 10 and view.selected_ids() == [sample.id]
