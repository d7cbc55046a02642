"""Issue 14, items 6 and 7: a picture is an undoable step of the drawing, and Open Model has a way
to pick a SavedModel folder (which still asks before running the program stored in it)."""
from __future__ import annotations

from PySide6.QtCore import Qt

from gui_support import drag, wait_for_answer


def _a_stroke(canvas):
    w, h = canvas.width(), canvas.height()
    return [(w * 0.5, h * 0.2), (w * 0.5, h * 0.8)]


def _picture_file(tmp_path, mnist_test_sample, k=0):
    import cv2

    x, y = mnist_test_sample
    path = tmp_path / f"digit{k}.png"
    cv2.imwrite(str(path), 255 - cv2.resize(x[k], (200, 200)))
    return path, int(y[k])


def test_undo_takes_back_an_opened_picture_and_brings_the_drawing_back(qtbot, window, tmp_path, mnist_test_sample,
                                                                         monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    path, digit = _picture_file(tmp_path, mnist_test_sample)
    drag(qtbot, window.canvas, _a_stroke(window.canvas))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    qtbot.keyClick(window, Qt.Key_O, Qt.ControlModifier)  # File > Open, the dialog answers with the picture
    assert window.canvas.image is not None
    assert wait_for_answer(qtbot, window).digit == digit

    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert window.canvas.image is None and len(window.canvas.document.strokes) == 1  # the drawing is back
    assert wait_for_answer(qtbot, window).digit == 1
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.canvas.image is not None and window.canvas.document.is_empty
    assert wait_for_answer(qtbot, window).digit == digit


def test_drawing_over_a_picture_starts_a_new_drawing_that_undo_takes_back(qtbot, window, tmp_path,
                                                                            mnist_test_sample):
    path, digit = _picture_file(tmp_path, mnist_test_sample, 1)
    assert window.open_path(str(path))
    wait_for_answer(qtbot, window)
    drag(qtbot, window.canvas, _a_stroke(window.canvas))
    assert window.canvas.image is None and len(window.canvas.document.strokes) == 1
    assert wait_for_answer(qtbot, window).digit == 1  # the new drawing is recognised, not the picture
    assert window.actions_.undo.isEnabled()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # one undo: the stroke goes, the picture is back
    assert window.canvas.image is not None and window.canvas.document.is_empty
    assert wait_for_answer(qtbot, window).digit == digit
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # and then the picture itself
    assert window.canvas.is_empty() and not window.actions_.undo.isEnabled()


def test_a_pasted_picture_is_undone_like_a_stroke(qtbot, window, mnist_test_sample):
    from PySide6.QtGui import QGuiApplication

    from digitpad.gui.imaging import to_qimage

    x, y = mnist_test_sample
    QGuiApplication.clipboard().setImage(to_qimage(x[2]))
    qtbot.keyClick(window, Qt.Key_V, Qt.ControlModifier)
    assert wait_for_answer(qtbot, window).digit == y[2]
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert window.canvas.is_empty()
    qtbot.waitUntil(lambda: window.last_result is None, timeout=2000)  # nothing shown for an empty canvas


def test_a_savedmodel_folder_can_be_picked_and_is_asked_about_first(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    folder = tmp_path / "exported"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"\0")
    (folder / "variables").mkdir()
    picked = []

    def pick_folder(*args, **kwargs):
        picked.append(args)
        return str(folder)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", pick_folder)
    loads = []
    monkeypatch.setattr(window.worker, "load_model", lambda path, trust=False: loads.append((path, trust)))
    before = window.model.path
    window.actions_.open_savedmodel.trigger()  # File > Open SavedModel Folder…
    assert picked and "SavedModel" in window.last_error and "trust" in window.last_error  # asked first
    assert loads == [] and window.model.path == before  # refused: the tests' answer is "Cancel"

    monkeypatch.setattr(window, "_confirm_savedmodel", lambda path: True)  # now the user says Open
    window.actions_.open_savedmodel.trigger()
    assert loads == [(str(folder), True)]

    (folder / "saved_model.pb").unlink()  # a folder that is no SavedModel is refused with the reason
    window.actions_.open_savedmodel.trigger()
    assert "no saved_model.pb" in window.last_error and len(loads) == 1
    menus = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    assert "Open SavedModel &Folder…" in menus

