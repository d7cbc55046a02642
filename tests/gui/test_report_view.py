"""The report view: per-class bars, the confusion heat map (hover, click a cell for its digits),
the before/after form (green and red cells, fixed and broken digits, McNemar) and its exports."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSize, Qt

from digitpad.core.comparison import BLANK, Comparison
from digitpad.core.metrics import Scores
from digitpad.gui.report_view import MAX_LISTED, ReportDialog, ReportView

# 40 digits, four of each; the misreadings are written out by hand
LABELS = np.repeat(np.arange(10), 4)
MISREAD = {4: 7, 5: 7, 8: 3, 12: BLANK, 36: 4}  # index -> what the model read (index 4, 5: ones read as 7)
EXPECTED = {(1, 7): 2, (1, 1): 2, (2, 3): 1, (2, 2): 3, (3, 10): 1, (3, 3): 3, (9, 4): 1, (9, 9): 3}


def toy_predictions() -> np.ndarray:
    predicted = LABELS.copy()
    for i, read in MISREAD.items():
        predicted[i] = read
    return predicted


def toy_images(n: int = 40) -> np.ndarray:
    images = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):  # a bright bar whose place tells the digits apart
        images[i, 4:24, 4 + i % 20] = 255
    return images


def shown_view(qtbot, size=QSize(1100, 700)) -> ReportView:
    view = ReportView()
    qtbot.addWidget(view)
    view.resize(size)
    view.show()
    qtbot.waitExposed(view)
    return view


def click_cell(qtbot, view: ReportView, true: int, read: int) -> None:
    qtbot.mouseClick(view.heatmap, Qt.LeftButton, pos=view.heatmap.cell_center(true, read))


def pixel(view: ReportView, true: int, read: int):
    """The colour painted near a cell's lower-left corner (away from its count and change)."""
    rect = view.heatmap.cell_rect(true, read)
    image = view.heatmap.grab().toImage()
    ratio = image.devicePixelRatio()
    return image.pixelColor(int((rect.left() + 5) * ratio), int((rect.bottom() - 5) * ratio))


def test_a_toy_confusion_shows_the_right_counts_in_its_cells(qtbot):
    view = shown_view(qtbot)
    view.show_evaluation("Evaluate toy on 40 digits", LABELS, toy_predictions(), toy_images(), name="toy")
    counts = view.cell_counts
    assert counts.shape == (10, 11)  # a blank reading adds the blank column
    expected = np.zeros((10, 11), int)
    for d in range(10):
        expected[d, d] = 4
    for (t, r), n in EXPECTED.items():
        expected[t, r] = n
    assert np.array_equal(counts, expected)
    assert np.array_equal(view.heatmap.counts, expected)  # what the map paints
    assert view.heatmap.hover_text(1, 7).startswith("true 1, read 7: 2 digits")
    assert "accuracy <b>87.50%</b> on 40 digits — 5 misread (1 of them blank)" in view.summary.text()
    assert view.bars.values.shape == (1, 10)
    assert view.bars.values[0, 1] == pytest.approx(0.5) and view.bars.values[0, 0] == 1.0
    assert not view.tabs.isTabVisible(view.fixed_tab) and not view.tabs.isTabVisible(view.broken_tab)
    # the most frequent misreading is listed from the start
    assert view.selected_cell == (1, 7) and view.cell_list.listed() == [4, 5]


def test_hovering_a_cell_tells_its_count(qtbot):
    view = shown_view(qtbot)
    view.show_evaluation("toy", LABELS, toy_predictions(), name="toy")
    qtbot.mouseMove(view.heatmap, view.heatmap.cell_center(9, 4))
    qtbot.waitUntil(lambda: view.heatmap.hovered == (9, 4), timeout=10000)  # slow when the machine is busy
    assert view.heatmap.toolTip().startswith("true 9, read 4: 1 digit")


def test_clicking_a_cell_lists_exactly_its_digits_with_captions(qtbot):
    view = shown_view(qtbot)
    view.show_evaluation("toy", LABELS, toy_predictions(), toy_images(), name="toy")
    seen = []
    view.cellSelected.connect(lambda t, r: seen.append((t, r)))
    click_cell(qtbot, view, 2, 3)
    assert seen == [(2, 3)] and view.selected_cell == (2, 3)
    assert view.cell_list.listed() == [8]
    assert view.cell_list.captions() == ["#8: read 3"]
    assert not view.cell_list.item(0).icon().isNull()  # a thumbnail
    click_cell(qtbot, view, 1, 1)  # a diagonal cell: the digits read right
    assert view.cell_list.listed() == [6, 7]
    assert view.cell_list.captions() == ["#6: read 1", "#7: read 1"]
    assert "True 1, read 1 (2)" == view.tabs.tabText(view.cell_tab)
    assert view.heatmap.cell_at(view.heatmap.cell_center(9, 4)) == (9, 4)
    qtbot.mouseClick(view.heatmap, Qt.LeftButton, pos=QPoint(2, 2))  # outside the grid: nothing changes
    assert view.selected_cell == (1, 1)
    qtbot.keyClick(view.heatmap, Qt.Key_Right)  # the arrow keys move from cell to cell
    assert view.selected_cell == (1, 2) and view.cell_list.count() == 0


def test_a_cell_with_many_digits_lists_200_and_counts_the_rest(qtbot):
    labels = np.full(250, 3)
    view = shown_view(qtbot)
    view.show_evaluation("many", labels, np.full(250, 5))
    assert view.cell_indices.tolist() == list(range(250))
    assert view.cell_list.listed() == list(range(MAX_LISTED))
    assert view.cell_list.count() == MAX_LISTED + 1
    assert view.cell_list.item(MAX_LISTED).text() == "and 50 more"
    assert view.cell_list.item(0).icon().isNull()  # no images: text only


def toy_comparison() -> Comparison:
    a = toy_predictions()
    b = a.copy()
    b[[4, 8, 12]] = LABELS[[4, 8, 12]]  # fixed: a one read as 7, a two read as 3, a blank three
    b[[20, 21]] = 6  # broken: two fives now read as 6
    b[36] = 7  # still wrong, differently: a nine read as 7 instead of 4
    return Comparison(LABELS, a, b, ("before", "after"))


def test_before_and_after_lists_fixed_and_broken_and_colours_the_cells(qtbot):
    view = shown_view(qtbot)
    comparison = toy_comparison()
    view.show_comparison("Fine-tuning toy", comparison, toy_images())
    assert view.fixed_list.listed() == [4, 8, 12]
    assert view.broken_list.listed() == [20, 21]
    assert view.fixed_list.captions() == ["#4: A 7, B 1", "#8: A 3, B 2", "#12: A blank, B 3"]
    assert view.broken_list.captions() == ["#20: A 5, B 6", "#21: A 5, B 6"]
    assert view.tabs.tabText(view.fixed_tab) == "Fixed (3)" and view.tabs.tabText(view.broken_tab) == "Broken (2)"
    assert view.tabs.isTabVisible(view.fixed_tab) and view.tabs.isTabVisible(view.broken_tab)
    assert view.cell_counts.shape == (10, 11)  # "before" read one blank
    assert np.array_equal(view.cell_counts, comparison.scores[1].confusion)  # after's counts
    better = [(1, 1), (1, 7), (2, 2), (2, 3), (3, 3), (3, 10), (9, 4)]
    worse = [(5, 5), (5, 6), (9, 7)]
    for t, r in better:
        assert view.heatmap.state(t, r) == "better", (t, r)
        c = pixel(view, t, r)
        assert c.green() > c.red() + 40, (t, r, c.name())
    for t, r in worse:
        assert view.heatmap.state(t, r) == "worse", (t, r)
        c = pixel(view, t, r)
        assert c.red() > c.green() + 40, (t, r, c.name())
    for t, r in [(0, 0), (4, 4), (9, 9), (0, 5)]:
        assert view.heatmap.state(t, r) == "same"
        c = pixel(view, t, r)
        assert abs(c.red() - c.green()) < 30, (t, r, c.name())  # grey, not tinted
    assert view.heatmap.hover_text(5, 6) == "true 5, read 6: 2 digits (before: 0) — worse"
    # better and worse are said without colour too: +2 more misread is worse, -1 misread better
    assert view.heatmap.corner_text(5, 6) == "+2▼" and view.heatmap.corner_text(1, 7) == "−1▲"
    assert view.heatmap.corner_text(1, 1) == "+1▲" and view.heatmap.corner_text(0, 0) == ""
    summary = view.summary.text()
    assert "87.50%" in summary and "90.00%" in summary and "+2.50 points" in summary
    assert "3 fixed" in summary and "2 broken" in summary
    assert "McNemar" in summary and "2 digits only before reads right, 3 only after" in summary
    # a click lists B's digits of that cell, and says so
    click_cell(qtbot, view, 5, 6)
    assert view.cell_list.listed() == [20, 21]
    assert view.cell_list.captions() == ["#20: A 5, B 6", "#21: A 5, B 6"]
    assert "by after" in view.cell_header.text()


def test_blank_readings_are_in_the_blank_column(qtbot):
    view = shown_view(qtbot)
    predicted = toy_predictions()
    predicted[[30, 31]] = BLANK  # two sevens left blank, besides the three
    view.show_evaluation("toy", LABELS, predicted, toy_images())
    assert view.cell_counts[:, 10].tolist() == [0, 0, 0, 1, 0, 0, 0, 2, 0, 0]
    assert view.heatmap.columns == 11
    click_cell(qtbot, view, 7, 10)
    assert view.cell_list.listed() == [30, 31]
    assert view.cell_list.captions() == ["#30: read blank", "#31: read blank"]
    assert view.heatmap.hover_text(7, 10).startswith("true 7, blank: 2 digits")
    assert view.select_cell(3, BLANK).tolist() == [12]
    # without a blank reading there is no blank column
    view.show_evaluation("toy", LABELS, LABELS)
    assert view.cell_counts.shape == (10, 10) and view.heatmap.columns == 10
    assert view.selected_cell is None and view.cell_list.count() == 0
    view.show_evaluation("nothing", [], [])  # no digits: says so, does not fail
    assert "no digits" in view.summary.text() and view.cell_counts.sum() == 0


def test_export_png_writes_a_picture_opencv_reads(qtbot, tmp_path):
    view = shown_view(qtbot)
    view.show_comparison("toy", toy_comparison(), toy_images())
    path = tmp_path / "report.png"
    view.export_png(path)
    picture = cv2.imread(str(path))
    assert picture is not None and picture.shape[0] >= 500 and picture.shape[1] >= 900
    assert [p.name for p in tmp_path.iterdir()] == ["report.png"]  # no temporary left behind
    never_shown = ReportView()  # exported without being shown: laid out at a readable size
    never_shown.show_evaluation("toy", LABELS, toy_predictions())
    never_shown.export_png(tmp_path / "hidden.png")
    picture = cv2.imread(str(tmp_path / "hidden.png"))
    assert picture is not None and picture.shape[1] >= 1000
    never_shown.deleteLater()


def test_export_json_round_trips_the_numbers(qtbot, tmp_path):
    view = shown_view(qtbot)
    comparison = toy_comparison()
    view.show_comparison("Fine-tuning toy", comparison, ids=np.arange(40) + 1000)
    view.export_json(tmp_path / "report.json")
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["kind"] == "comparison" and data["title"] == "Fine-tuning toy"
    assert data["names"] == ["before", "after"] and data["count"] == 40
    assert data["columns"][-1] == "blank" and len(data["columns"]) == 11
    assert np.array_equal(np.array(data["cells"]), view.cell_counts)
    assert np.array_equal(np.array(data["cells_a"]), comparison.scores[0].confusion)
    a, b = (Scores.from_dict(d) for d in data["scores"])
    assert np.array_equal(a.confusion, comparison.scores[0].confusion) and b.accuracy == pytest.approx(0.9)
    assert data["fixed"] == [1004, 1008, 1012] and data["broken"] == [1020, 1021]
    assert data["mcnemar"]["only_a"] == 2 and data["mcnemar"]["only_b"] == 3
    assert data["mcnemar"]["p_value"] == pytest.approx(comparison.test().p_value)
    assert data["improvement"][5][6] == -2 and data["improvement"][1][7] == 1
    # one model
    view.show_evaluation("toy", LABELS, toy_predictions(), name="toy")
    view.export_json(tmp_path / "one.json")
    data = json.loads((tmp_path / "one.json").read_text())
    assert data["kind"] == "evaluation" and data["names"] == ["toy"] and "fixed" not in data
    assert data["cells"][1][7] == 2 and data["cells"][3][10] == 1
    assert Scores.from_dict(data["scores"][0]).accuracy == pytest.approx(35 / 40)


def test_the_dialog_fits_a_laptop_exports_without_blocking_and_takes_extra_buttons(qtbot, settings, tmp_path):
    dialog = ReportDialog(settings=settings)
    qtbot.addWidget(dialog)
    dialog.show_comparison("Fine-tuning toy", toy_comparison(), toy_images())
    assert dialog.windowTitle() == "Fine-tuning toy" and not dialog.isModal()
    least = dialog.minimumSizeHint()
    assert least.width() <= 600 and least.height() <= 480
    dialog.show()
    qtbot.waitExposed(dialog)
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= min(1366, screen.width()) and dialog.height() <= min(768, screen.height())
    dialog.resize(least)  # small: the report scrolls rather than squeezes
    qtbot.wait(20)
    assert dialog.view.width() >= dialog.view.minimumWidth()
    dialog.png_button.click()  # with DIGITPAD_NO_DIALOGS: recorded, nothing written, nothing blocks
    assert dialog.last_request == ("png", "report-fine-tuning-toy.png")
    dialog.json_button.click()
    assert dialog.last_request == ("json", "report-fine-tuning-toy.json")
    kept = []
    keep = dialog.add_button("Keep the new model", lambda: kept.append("keep"))
    back = dialog.add_button("Go back to the old one", lambda: kept.append("back"))
    order = [dialog.buttons.itemAt(i).widget() for i in range(dialog.buttons.count())]
    assert order.index(keep) < order.index(back) < order.index(dialog.close_button)
    keep.click()
    assert kept == ["keep"] and not dialog.isVisible()
    dialog.view.export_png(tmp_path / "dialog.png")
    assert cv2.imread(str(tmp_path / "dialog.png")) is not None


def test_thumbnails_keep_their_size_after_a_long_list(qtbot):
    """A list of more than MAX_LISTED digits ends in a text line; refilling must not shrink the
    thumbnails to that line's height (seen with uniform item sizes)."""
    from digitpad.core.comparison import Comparison
    from digitpad.gui.report_view import MAX_LISTED, ReportView

    n = MAX_LISTED + 60
    labels = np.full(n, 8)
    labels[:5] = 9
    read = labels.copy()
    read[:5] = 4
    images = np.zeros((n, 28, 28), np.uint8)
    images[:, 8:20, 10:18] = 255
    view = ReportView()
    qtbot.addWidget(view)
    view.resize(1200, 720)
    view.show_comparison("t", Comparison(labels, read, read, ("A", "B")), images)
    view.show()
    qtbot.waitExposed(view)
    for cell in ((9, 4), (8, 8), (9, 4), (8, 8)):
        view.select_cell(*cell)
        qtbot.wait(20)
        first = view.cell_list.visualItemRect(view.cell_list.item(0))
        assert first.height() >= view.cell_list.iconSize().height(), (cell, first)


def test_a_changed_cell_lists_the_digits_that_left_it_first(qtbot):
    """Comparing, a cell that lost digits shows them (they are no longer in it under B), then the rest."""
    view = shown_view(qtbot)
    view.show_comparison("toy", toy_comparison(), toy_images())
    # before: ones #4 and #5 read as 7; after, #4 is fixed
    listed = view.select_cell(1, 7)
    assert listed.tolist() == [4, 5] and view.cell_list.listed() == [4, 5]
    assert view.cell_list.captions() == ["#4: A 7, B 1", "#5: A 7, B 7"]
    assert view.tabs.tabText(view.cell_tab) == "True 1, read 7 (1)"  # B's count
    assert "the 1 that left it" in view.cell_header.text()
    listed = view.select_cell(1, 1)  # the ones are #4-#7: #4 came in, #6 and #7 were there all along
    assert listed.tolist() == [4, 6, 7]
    assert "the 1 that came into it" in view.cell_header.text()
    view.select_cell(0, 0)  # nothing changed there
    assert "listed first" not in view.cell_header.text()


def test_captions_stay_on_one_line_after_an_empty_cell(qtbot):
    """Seen under Xvfb: after an empty cell, the next list packed its thumbnails tighter and broke
    each caption over two lines."""
    view = shown_view(qtbot, QSize(900, 640))
    view.show_comparison("toy", toy_comparison(), toy_images(), ids=np.arange(40) + 9990)  # "#10023: A 9, B 9"
    for true, read in ((0, 0), (0, 4), (1, 1), (2, 9), (9, 9)):
        view.select_cell(true, read)
        qtbot.wait(10)
        listing = view.cell_list
        for caption in listing.captions():
            assert listing.fontMetrics().horizontalAdvance(caption) < listing.gridSize().width() - 6, (true, read)


def test_json_names_every_column_and_rounds_the_change(qtbot, tmp_path):
    labels = np.repeat(np.arange(10), 3)
    a = labels.copy()
    a[0] = 6
    view = shown_view(qtbot)
    view.show_comparison("no blanks", Comparison(labels, a, labels, ("before", "after")))
    assert view.cell_counts.shape == (10, 10)  # no blank column on screen
    view.export_json(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert len(data["columns"]) == 11 and data["columns"][-1] == "blank"
    for matrix in (data["cells"], data["cells_a"], data["improvement"], data["scores"][0]["confusion"]):
        assert len(matrix) == 10 and all(len(row) == 11 for row in matrix)
    assert data["accuracy_change_points"] == 3.3333
    assert data["improvement"][0][6] == 1 and data["improvement"][0][0] == 1


def test_nothing_broken_is_not_painted_as_bad_news(qtbot):
    labels = np.repeat(np.arange(10), 3)
    a = labels.copy()
    a[0] = 6
    view = shown_view(qtbot)
    view.show_comparison("t", Comparison(labels, a, labels, ("before", "after")))
    from digitpad.gui.confusion_map import MUTED, WORSE

    text = view.summary.text()
    assert f"color:{MUTED}'>0 broken" in text and WORSE not in text.split("fixed")[1]


def test_cell_numbers_pick_the_more_readable_text_colour():
    from PySide6.QtGui import QColor

    from digitpad.gui.confusion_map import _dark

    assert not _dark(QColor(102, 177, 116))  # the light green the Xvfb check found at 2.6:1 with white
    assert not _dark(QColor("#f5f6f8"))
    assert _dark(QColor("#1c3d8a")) and _dark(QColor("#c92a2a"))


def test_an_export_says_where_it_went_and_a_failed_one_keeps_the_report(qtbot, settings, tmp_path):
    dialog = ReportDialog(settings=settings)
    qtbot.addWidget(dialog)
    dialog.show_comparison("toy", toy_comparison(), toy_images())
    assert dialog.save(dialog.view.export_json, str(tmp_path / "r.json"))
    assert dialog.saved_label.text() == "Saved r.json" and (tmp_path / "r.json").exists()
    (tmp_path / "a-file").write_text("")
    assert not dialog.save(dialog.view.export_json, str(tmp_path / "a-file" / "r.json"))
    assert dialog.saved_label.text() == "" and dialog.last_error
    assert dialog.view.cell_counts.sum() == 40  # the report is still there
    assert dialog.save(dialog.view.export_png, str(tmp_path / "r.png")) and dialog.saved_label.text()
    dialog.show_evaluation("another set", LABELS, toy_predictions())  # "Show MNIST test" refills the dialog
    assert dialog.saved_label.text() == ""  # what was saved was the other report
