"""Small things a newcomer meets (issue 14, item 15): fast strokes drawn smooth, Open/Save dialogs
that start where the user was, and shortcut help that lists every shortcut."""
from __future__ import annotations

import os
import re

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QStandardPaths, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog

from digitpad.core.ink import Ink, write_ink
from gui_support import open_window
from support import ROOT


def fast_stroke(widget, points):
    """A stroke as a fast hand gives it: one mouse event per point, far apart."""
    def send(kind, x, y, button, buttons):
        pos = QPointF(float(x), float(y))
        QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons,
                                                   Qt.NoModifier))

    send(QEvent.MouseButtonPress, *points[0], Qt.LeftButton, Qt.LeftButton)
    for x, y in points[1:]:
        send(QEvent.MouseMove, x, y, Qt.NoButton, Qt.LeftButton)
    send(QEvent.MouseButtonRelease, *points[-1], Qt.LeftButton, Qt.NoButton)


def inked(image, x, y, background: QColor) -> bool:
    """Whether any pixel within 1 px of (x, y) differs clearly from the background."""
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            c = image.pixelColor(int(round(x)) + dx, int(round(y)) + dy)
            if abs(c.lightness() - background.lightness()) > 60:
                return True
    return False


def test_a_fast_round_stroke_is_drawn_round_not_as_a_polygon(qtbot, window):
    c = window.canvas
    window.brush_slider.setValue(6)  # a thin pen shows the shape
    cx, cy, r = c.width() / 2, c.height() / 2, min(c.width(), c.height()) * 0.35
    t = np.linspace(0, 2 * np.pi, 9)  # eight chords of ~0.77 r: a polygon would cut 0.076 r inside
    fast_stroke(c, list(zip(cx + r * np.cos(t), cy + r * np.sin(t))))
    assert len(c.document.strokes[-1]) == 9  # the ink keeps what the mouse gave
    image = c.grab().toImage()
    background = image.pixelColor(3, 3)
    mid = (t[1:-2] + t[2:-1]) / 2  # half-way between reported points, away from the stroke's two ends
    assert r * (1 - np.cos(np.pi / 8)) > 6  # the polygon's chord is clearly apart from the circle here
    for a in mid:
        assert inked(image, cx + r * np.cos(a), cy + r * np.sin(a), background), np.degrees(a)
        chord = r * np.cos(np.pi / 8)  # where the straight chord would pass
        assert not inked(image, cx + chord * np.cos(a), cy + chord * np.sin(a), background), np.degrees(a)


def test_a_strokes_curve_is_made_once_while_it_stays_and_anew_when_it_changes(qtbot, monkeypatch):
    """Every change repaints the whole ink; finished strokes are not curved again (the worker
    needs the interpreter meanwhile), and what is painted is the ink as it is now."""
    from digitpad.gui import canvas as canvas_module

    made = []
    real = canvas_module.smooth_stroke
    monkeypatch.setattr(canvas_module, "smooth_stroke", lambda s, step: made.append(len(s)) or real(s, step))
    c = canvas_module.InkCanvas()
    qtbot.addWidget(c)
    c.resize(300, 300)
    blank = c.grab().toImage()
    t = np.linspace(0, 2 * np.pi, 9)
    fast_stroke(c, list(zip(150 + 80 * np.cos(t), 150 + 80 * np.sin(t))))
    one = c.grab().toImage()
    made.clear()
    fast_stroke(c, [(40, 40), (60, 120), (80, 200)])
    two = c.grab().toImage()
    assert made == [3]  # only the new stroke was curved; the ring came from the last paint
    c.grab()
    assert made == [3] and len(c._curves) == 2
    c.undo()
    assert c.grab().toImage() == one and len(c._curves) == 1  # the undone stroke is not kept
    c.redo()
    assert c.grab().toImage() == two
    moved = Ink(300, 300, tuple(s + np.r_[5.0, np.zeros(s.shape[1] - 1)] for s in c.document.snapshot().strokes))
    made.clear()
    c.load_ink(moved)
    assert c.grab().toImage() != two and made == [9, 3]  # changed strokes: curved anew
    c.clear()
    assert c.grab().toImage() == blank and c._curves == {}


class FakeDialogs:
    """QFileDialog's static functions, answered by the test; records where each dialog started."""

    def __init__(self, monkeypatch):
        self.started_in: list[str] = []
        self.answers: list[str] = []
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(self._file))
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(self._file))
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(self._folder))

    def _file(self, parent, title, start, filters="", *rest):
        self.started_in.append(start)
        return self.answers.pop(0), ""

    def _folder(self, parent, title, start, *rest):
        self.started_in.append(start)
        return self.answers.pop(0)


def documents_or_home() -> str:
    docs = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation)
    return docs if docs and os.path.isdir(docs) else os.path.expanduser("~")


def test_open_and_save_start_in_documents_then_in_the_last_used_folder(qtbot, window, settings, shipped_model,
                                                                        tmp_path, monkeypatch):
    dialogs = FakeDialogs(monkeypatch)
    drawings = tmp_path / "drawings"
    drawings.mkdir()
    write_ink(drawings / "seven.json", Ink(400, 400, (np.array([[100.0, 100], [300, 100], [180, 330]]),)))

    window.activateWindow()
    dialogs.answers.append(str(drawings / "seven.json"))
    QTest.keyClick(window, Qt.Key_O, Qt.ControlModifier)
    assert dialogs.started_in[-1] == documents_or_home()  # the first time: the user's documents
    assert len(window.canvas.document.strokes) == 1

    dialogs.answers.append(str(tmp_path / "elsewhere" / "mine.json"))
    (tmp_path / "elsewhere").mkdir()
    QTest.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    assert dialogs.started_in[-1] == str(drawings / "drawing.json")  # proposed where the user just was
    assert (tmp_path / "elsewhere" / "mine.json").is_file()
    dialogs.answers.append(str(tmp_path / "elsewhere" / "typed"))  # a name typed without its suffix
    QTest.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    assert (tmp_path / "elsewhere" / "typed.json").is_file() and not (tmp_path / "elsewhere" / "typed").exists()
    assert window.open_path(str(tmp_path / "elsewhere" / "typed.json"))  # and it opens again as a drawing

    window.close()
    again = open_window(qtbot, settings, shipped_model)  # remembered in the settings
    again.activateWindow()
    dialogs.answers.append("")  # cancelled
    QTest.keyClick(again, Qt.Key_M, Qt.ControlModifier)  # Open Model starts there too
    assert dialogs.started_in[-1] == str(tmp_path / "elsewhere")
    again.store_path = str(tmp_path / "mine.sqlite")
    again.open_dataset()
    dialogs.answers.append("")
    again.dataset_window._choose_import(folder=False)  # and My Samples' Import
    assert dialogs.started_in[-1] == str(tmp_path / "elsewhere")
    again.close()


def test_a_remembered_folder_that_is_gone_falls_back_to_documents(settings, tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    settings.remember_dialog_path(str(gone / "x.json"))
    assert settings.dialog_folder() == str(gone)
    gone.rmdir()
    assert settings.dialog_folder() == documents_or_home()


def test_shortcut_help_lists_every_shortcut_including_fine_tune_and_quit(qtbot, window):
    window.activateWindow()
    QTest.keyClick(window, Qt.Key_Slash, Qt.ControlModifier)
    qtbot.waitUntil(lambda: getattr(window, "shortcuts_box", None) is not None and window.shortcuts_box.isVisible(),
                    timeout=3000)
    text = window.shortcuts_box.text()
    assert "Fine-tune on My Samples" in text and "Ctrl+Shift+F" in text
    assert "Quit" in text and "Ctrl+Q" in text
    for action in window.actions_:
        for key in action.shortcuts():
            assert key.toString() in text, action.text()
    window.shortcuts_box.close()


def test_the_readme_shortcut_table_has_every_actions_shortcut(window):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| Action | Shortcut |", 1)[1].split("\n\n", 1)[0]
    keys = set(re.findall(r"`([^`]+)`", table))
    for action in window.actions_:
        for key in action.shortcuts():
            name = key.toString().replace("Del", "Delete")
            assert name in keys, f"{action.text()}: {name} is not in the README's shortcut table"


def _shown_at(canvas, x, y) -> bool:
    image = canvas.grab().toImage()
    return inked(image, x, y, image.pixelColor(1, 1))


def test_ink_stays_in_sight_when_the_canvas_shrinks_and_the_pen_still_draws_where_it_is(qtbot):
    """A window made narrower hid the ink on the right of the canvas, while the model still read it."""
    from digitpad.gui.canvas import InkCanvas

    c = InkCanvas(brush=8)
    qtbot.addWidget(c)
    c.resize(600, 500)
    c.show()
    qtbot.waitExposed(c)
    fast_stroke(c, [(450, 80), (560, 250), (450, 420)])
    drawn = c.snapshot().strokes[0].copy()
    assert _shown_at(c, 560, 250)
    c.resize(300, 500)
    qtbot.wait(20)
    assert np.array_equal(c.snapshot().strokes[0], drawn)  # the ink itself is not changed
    tip = c.view.map(QPointF(560, 250))
    assert 0 < tip.x() < 300 and c.scale < 1
    assert _shown_at(c, tip.x(), tip.y())
    fast_stroke(c, [(40, 250), (120, 250)])  # drawn where the pen is, in the smaller view
    assert _shown_at(c, 80, 250)
    back = c.view.map(QPointF(*c.snapshot().strokes[1][0, :2]))
    assert abs(back.x() - 40) < 0.5 and abs(back.y() - 250) < 0.5
    c.resize(600, 500)  # both strokes lie on the canvas: it is drawn 1:1 again
    qtbot.wait(20)
    assert c.scale == 1 and c.view.map(QPointF(560, 250)) == QPointF(560, 250)
    c.clear()
    assert c.view.isIdentity() and (c.document.width, c.document.height) == (600, 500)


def test_an_ink_from_a_small_canvas_opens_filling_the_canvas(qtbot):
    """An ink recorded on a 100x100 pad opened at its own size, in the canvas's top-left corner."""
    from digitpad.gui.canvas import InkCanvas

    c = InkCanvas(brush=8)
    qtbot.addWidget(c)
    c.resize(600, 500)
    c.show()
    qtbot.waitExposed(c)
    c.load_ink(Ink(100, 100, (np.array([[50.0, 10.0], [50.0, 90.0]]),), pen_width=4))
    top, bottom = c.view.map(QPointF(50, 10)), c.view.map(QPointF(50, 90))
    assert abs(top.x() - 300) < 1 and bottom.y() - top.y() > 300  # centred, scaled up
    assert _shown_at(c, 300, (top.y() + bottom.y()) / 2)
    c.undo()
    assert c.document.is_empty and c.view.isIdentity()
