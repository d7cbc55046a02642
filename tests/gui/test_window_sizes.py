"""Issue 14, items 12 and 13: windows that fit a laptop screen and resize down gracefully, and a My
Samples window that keeps its size, says why it is empty and shows thumbnails one can read.

The offscreen screen is 800x600, smaller than the 1366x768 laptop the issue names."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import QSize, Qt

from digitpad.core.sample_store import Sample, SampleStore

LAPTOP = QSize(1366, 768)
FRAME = QSize(16, 48)  # a window manager's borders and title bar


def _fits(size: QSize, screen: QSize) -> bool:
    return size.width() + FRAME.width() <= screen.width() and size.height() + FRAME.height() <= screen.height()


def test_the_main_window_resizes_down_to_a_small_laptop_window(qtbot, settings):
    from digitpad.gui.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    least = w.minimumSizeHint()
    assert least.width() <= 800 and least.height() <= 640, least  # was 1185x683 and more
    assert _fits(w.size(), LAPTOP)
    w.resize(least)
    qtbot.wait(50)
    assert w.size() == least
    canvas = w.canvas.size()
    assert canvas.width() >= 280 and canvas.height() >= 280  # still a canvas one can draw a digit on
    assert w.chart.height() >= 120 and w.stages.isEnabled()
    w.close()


def test_collect_opens_at_a_size_that_fits_the_screen_and_can_shrink(qtbot, window, tmp_path):
    window.store_path = str(tmp_path / "mine.sqlite")
    window.actions_.collect.trigger()
    collect = window.collection_window
    qtbot.waitExposed(collect)
    screen = collect.screen().availableGeometry().size()
    assert _fits(collect.size(), screen), (collect.size(), screen)  # was 720x760, taller than this screen
    least = collect.minimumSizeHint()
    assert least.width() <= 560 and least.height() <= 600 and _fits(least, LAPTOP), least
    collect.close()
    collect.store.close()


@pytest.fixture
def samples_window(qtbot, window, tmp_path, mnist_test_sample):
    x, y = mnist_test_sample
    with SampleStore(tmp_path / "mine.sqlite") as store:
        store.add_many(Sample(label=int(l), image=img, writer="ana") for img, l in zip(x[:7], y[:7]))
    window.store_path = str(tmp_path / "mine.sqlite")
    window.actions_.dataset.trigger()
    view = window.dataset_window
    qtbot.waitExposed(view)
    yield view
    view.close()


def test_my_samples_fits_an_800_px_high_screen_and_keeps_its_size(qtbot, samples_window):
    view = samples_window
    screen = view.screen().availableGeometry().size()
    assert _fits(view.size(), screen) and view.size().height() + FRAME.height() <= 800
    size, pos = view.size(), view.pos()
    least = view.minimumSizeHint()
    # Many writers and an import message: the footer text grows, the window must not.
    view.store.add_many(Sample(label=k % 10, image=np.zeros((28, 28), np.uint8), writer=f"writer number {k}")
                        for k in range(60))
    view.refresh()
    view._transfer_done("Imported 60 samples from /a/rather/long/path/to/a/file/with/many/samples/in/it.jsonl.")
    qtbot.wait(50)
    assert view.size() == size and view.pos() == pos and view.minimumSizeHint().height() == least.height()
    assert "60 writers" in view.counts.text() or "61 writers" in view.counts.text()


def test_a_filter_that_matches_nothing_says_so(qtbot, samples_window):
    view = samples_window
    missing = next(d for d in range(10) if all(s.label != d for s in view.samples))
    view.digit.setCurrentIndex(1 + missing)
    assert view.model.rowCount() == 0
    assert view.pages.currentWidget() is view.empty and view.empty.isVisible()
    assert "No sample matches these filters" in view.empty.text()
    assert view.empty.text().endswith('Choose "all digits" to see more.')  # the one filter that is set
    assert view.counts.text().startswith("Showing 0 of 7 samples")
    view.digit.setCurrentIndex(0)
    # after "Reading them with ...: N to go." while the marks are read
    assert view.pages.currentWidget() is view.view and re.search(r"(^|\. )7 samples\.", view.counts.text())


def test_thumbnails_are_large_and_the_grid_fills_the_width(qtbot, samples_window):
    view = samples_window
    icon = view.model.item(0).icon()
    assert max(s.width() for s in icon.availableSizes()) >= 56  # drawn at the size shown, not 28 px
    assert view.view.iconSize().width() >= 56
    for width in (700, 860):
        view.resize(width, view.height())
        qtbot.wait(50)
        grid, room = view.view.gridSize().width(), view.view.viewport().width()
        columns = room // grid
        assert columns >= 1 and room - columns * grid <= columns + 4, (width, grid, room)  # no empty band


def test_a_panel_with_no_room_beside_the_window_takes_room_from_it_and_gives_it_back(qtbot, settings):
    """Inside the Model floated over the answer on a laptop screen; the window now moves left
    and narrows (down to its smallest size) to make room, and is as it was once the panel closes."""
    from digitpad.gui.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    screen = w.screen().availableGeometry()
    least = w.minimumSizeHint().width()
    w.setGeometry(screen.left() + 40, screen.top() + 10, least + 60, 560)
    qtbot.wait(50)
    before = w.geometry()
    w.set_inside_shown(True)
    qtbot.waitUntil(lambda: w.inside_dock.isVisible())
    assert w.x() == screen.left() and w.width() == least  # moved to the edge, then narrowed
    assert w.inside_dock.x() >= screen.left() + 8 and w.inside_dock.isFloating()
    w.set_inside_shown(False)
    qtbot.waitUntil(lambda: w.geometry() == before)

    w.set_inside_shown(True)  # opened again: room again
    assert w.x() == screen.left() and w.width() == least
    w.resize(least + 20, 560)  # the user sizes the window: it is theirs now, kept when the panel closes
    qtbot.wait(50)
    w.set_inside_shown(False)
    qtbot.wait(50)
    assert w.width() == least + 20 and w.x() == screen.left()
    w.close()


def test_docking_a_panel_keeps_the_window_on_the_screen(qtbot, settings):
    """Docked, Inside the Model widened the window past the screen's right edge (its close button
    and the panel's captions out of reach)."""
    from PySide6.QtWidgets import QWidget

    from digitpad.gui.main_window import MainWindow
    from digitpad.gui.window_sizing import keep_on_screen

    small = QWidget()
    qtbot.addWidget(small)
    small.show()
    qtbot.waitExposed(small)
    area = small.screen().availableGeometry()
    small.setGeometry(area.right() - 100, area.top() + 20, 300, 200)
    keep_on_screen(small)
    assert small.frameGeometry().right() <= area.right() and small.width() == 300

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.move(area.left() + 60, area.top())
    w.set_inside_shown(True)
    w.inside_dock.setFloating(False)
    qtbot.waitUntil(lambda: w.x() == area.left())  # wider than the 800 px test screen: at its left edge
    assert w.width() >= w.inside_dock.width() + w.canvas.width()
    w.close()


def test_a_panel_closed_at_quit_is_placed_beside_the_window_again_next_time(qtbot, settings):
    """Qt restores a closed floating panel at a size and place of its own, which covered the answer."""
    from digitpad.gui.main_window import MainWindow

    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.set_inside_shown(True)
    first.inside_dock.setGeometry(10, 10, 700, 300)  # somewhere else, then closed
    first.set_inside_shown(False)
    first.close()

    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    again.set_inside_shown(True)
    assert again.inside_dock.width() == 540  # placed beside the window, as the first time
    again.set_inside_shown(False)
    again.close()


def test_tab_goes_only_to_controls_that_show_they_have_the_focus(qtbot, settings):
    """Six of the main window's fifteen Tab stops (the canvas, the chart and the thumbnails)
    took the focus and showed nothing."""
    from PySide6.QtWidgets import QAbstractButton, QAbstractSlider, QAbstractSpinBox, QTabBar

    from digitpad.gui.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    seen, widget = [], w.nextInFocusChain()
    while widget is not w:  # the stops Tab visits, as Qt picks them from the focus chain
        if (widget.isVisibleTo(w) and widget.isEnabled() and widget.focusPolicy() & Qt.TabFocus
                and widget.focusProxy() is None):
            seen.append(widget)
        widget = widget.nextInFocusChain()
    kinds = (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QTabBar)
    assert seen and all(isinstance(f, kinds) for f in seen), [type(f).__name__ for f in seen]
    w.close()
