import numpy as np
import pytest

from digitpad.core.ink_editing import InkDocument
from digitpad.core.verdict import Thresholds, Verdict, judge


def _stroke(doc, pts, pressure=1.0):
    doc.begin_stroke(*pts[0], pressure)
    for p in pts[1:]:
        doc.extend_stroke(*p, pressure)
    return doc.end_stroke()


def test_undo_redo_per_stroke():
    doc = InkDocument(200, 200, 10)
    _stroke(doc, [(10, 10), (50, 50)])
    _stroke(doc, [(60, 10), (60, 90)])
    assert len(doc.strokes) == 2 and doc.can_undo() and not doc.can_redo()
    assert doc.undo() and len(doc.strokes) == 1
    assert doc.redo() and len(doc.strokes) == 2 and doc.strokes[1][0, 0] == 60
    doc.undo()
    _stroke(doc, [(1, 1), (2, 9)])  # a new stroke forgets the redo history
    assert not doc.can_redo() and len(doc.strokes) == 2


def test_snapshot_is_immutable_and_includes_the_stroke_in_progress():
    doc = InkDocument(100, 100)
    doc.begin_stroke(5, 5, 0.5)
    doc.extend_stroke(20, 30, 0.7)
    snap = doc.snapshot()
    assert len(snap.strokes) == 1 and snap.strokes[0].shape == (2, 4)
    doc.extend_stroke(40, 40, 0.9)
    assert len(snap.strokes[0]) == 2  # the snapshot did not change
    assert snap.strokes[0][1, 3] >= snap.strokes[0][0, 3]  # timestamps grow


def test_eraser_and_clear_are_undoable():
    doc = InkDocument(100, 100)
    _stroke(doc, [(10, 10), (90, 10)])
    _stroke(doc, [(10, 50), (90, 50)])
    assert not doc.erase_at(50, 30, 5)
    assert doc.erase_at(50, 12, 5) and len(doc.strokes) == 1 and doc.strokes[0][0, 1] == 50
    doc.undo()
    assert [s[0, 1] for s in doc.strokes] == [10, 50]
    assert doc.clear() and doc.is_empty
    doc.undo()
    assert len(doc.strokes) == 2


def test_verdicts():
    t = Thresholds(confidence=0.7, reconstruction_error=0.05, digit_likeness=0.4)
    sure = np.array([0.9] + [0.1 / 9] * 9)
    unsure = np.array([0.5, 0.4] + [0.1 / 8] * 8)
    assert judge(None, None, t).verdict is Verdict.EMPTY
    assert judge(sure, 0.01, t).verdict is Verdict.DIGIT
    assert judge(unsure, 0.01, t).verdict is Verdict.NOT_SURE
    assert judge(sure, 0.2, t).verdict is Verdict.NOT_A_DIGIT
    assert judge(sure, None, t).verdict is Verdict.DIGIT  # classifier-only models
    assert Thresholds.from_sidecar({"confidence": 0.4}).confidence == 0.4


def test_a_refusal_names_its_signal_and_a_model_is_judged_by_the_signals_it_has():
    t = Thresholds(confidence=0.7, reconstruction_error=0.05, digit_likeness=0.4)
    sure = np.array([0.96] + [0.04 / 9] * 9)
    letter = judge(sure, 0.01, t, digit_likeness=0.03)  # a confident "4" that is an A
    assert letter.verdict is Verdict.NOT_A_DIGIT and letter.signal == "digit_likeness"
    assert letter.reason == "digit-likeness 0.03, below 0.4"
    assert letter.signals == ("digit_likeness", "reconstruction_error", "confidence")
    scribble = judge(sure, 0.09, t, digit_likeness=0.9)
    assert scribble.signal == "reconstruction_error" and scribble.reason == "reconstruction error 0.09, above 0.05"
    doubt = judge(np.array([0.5, 0.4] + [0.0125] * 8), 0.01, t, 0.9)
    assert doubt.verdict is Verdict.NOT_SURE and doubt.reason.startswith("confidence 0.5, below 0.7")
    assert judge(sure, 0.01, t, 0.9).reason == "" and judge(sure, 0.01, t, 0.9).verdict is Verdict.DIGIT
    # a classifier-only model: confidence alone, and it says so
    assert judge(sure, None, t).signals == ("confidence",)
    # a decoder calibrated as "does not draw" (the paper model) is not used, however large its error
    paper = Thresholds.from_sidecar({"confidence": 0.8, "reconstruction_error": None})
    assert paper.reconstruction_error is None
    assert judge(sure, 0.5, paper).verdict is Verdict.DIGIT and judge(sure, 0.5, paper).signals == ("confidence",)


@pytest.mark.parametrize("sidecar", [None, "abc", [1, 2], {"confidence": "high"}, {"confidence": float("nan")},
                                     {"confidence": 7}, {"digit_likeness": True}])
def test_malformed_thresholds_fall_back_to_the_defaults(sidecar):
    t = Thresholds.from_sidecar(sidecar)
    assert 0 < t.confidence < 1 and t.reconstruction_error is not None and 0 < t.digit_likeness < 1


def test_a_picture_is_an_undoable_step_that_sets_the_strokes_aside():
    doc = InkDocument(100, 100)
    _stroke(doc, [(10, 10), (90, 10)])
    picture = np.zeros((28, 28), np.uint8)
    doc.show_picture(picture)
    assert doc.picture is picture and doc.is_empty and not doc.is_blank
    assert doc.undo() and doc.picture is None and len(doc.strokes) == 1  # the drawing is back
    assert doc.redo() and doc.picture is picture and not doc.strokes
    assert doc.clear() and doc.is_blank
    assert doc.undo() and doc.picture is picture  # clearing a picture is undoable too


def test_drawing_over_a_picture_starts_a_new_drawing_and_undo_brings_the_picture_back():
    doc = InkDocument(100, 100)
    picture = np.zeros((28, 28), np.uint8)
    doc.show_picture(picture)
    doc.begin_stroke(10, 10)
    assert doc.picture is None  # the picture is not recognised under the stroke being drawn
    doc.extend_stroke(50, 50)
    assert doc.end_stroke() and len(doc.strokes) == 1
    assert doc.undo() and doc.picture is picture and not doc.strokes  # one step: stroke out, picture in
    assert doc.redo() and doc.picture is None and len(doc.strokes) == 1
    doc.undo()
    assert doc.undo() and doc.is_blank and not doc.can_undo()  # then the picture itself goes


def test_opening_ink_or_erasing_replaces_a_picture_undoably():
    doc = InkDocument(100, 100)
    picture = np.zeros((28, 28), np.uint8)
    doc.show_picture(picture)
    assert doc.erase_at(5, 5, 3) and doc.is_blank
    assert doc.undo() and doc.picture is picture
    from digitpad.core.ink import Ink

    doc.replace(Ink(100, 100, (np.array([[1.0, 1.0], [20.0, 20.0]]),)))
    assert doc.picture is None and len(doc.strokes) == 1
    assert doc.undo() and doc.picture is picture and not doc.strokes
