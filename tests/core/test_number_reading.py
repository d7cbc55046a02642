"""A drawing read as a number for the app's number mode (no Qt, no model: a fake ``predict``)."""
import zlib

import numpy as np

from digitpad.core import number_reading
from digitpad.core.ink import Ink
from digitpad.core.number_reading import judge_number, may_be_side_by_side, read_digits, side_by_side
from digitpad.core.numbers import split_ink
from digitpad.core.recognition import Predictions
from digitpad.core.verdict import Thresholds, Verdict
from test_numbers import number_ink


def sure_of(answers, ink):
    """A fake model: each digit of ``ink`` (as grouped by the strokes' places) is read as given,
    ``(digit, confidence[, digit-likeness])``; any other part of the drawing as a fairly sure 1."""
    known = {p.image.tobytes(): a for p, a in zip(split_ink(ink), answers)}

    def predict(images):
        n = len(images)
        probs = np.full((n, 10), 0.005, np.float32)
        probs[:, 1] = 0.955
        likeness = np.full(n, 0.9, np.float32)
        for k, image in enumerate(images):
            if image.tobytes() in known:
                digit, conf, *like = known[image.tobytes()]
                probs[k] = (1 - conf) / 9
                probs[k, digit] = conf
                likeness[k] = like[0] if like else 0.9
        return Predictions(probs, None, None, likeness)
    return predict


def read(text, answers):
    ink = number_ink(text)
    return read_digits(ink, sure_of(answers, ink))


def test_digits_side_by_side_are_read_one_by_one():
    digits = read("701", [(7, 0.99), (0, 0.98), (1, 0.97)])
    assert [d.recognition.digit for d in digits] == [7, 0, 1]
    assert [d.box[0] for d in digits] == sorted(d.box[0] for d in digits)
    assert all(d.recognition.preprocessed.image.shape == (28, 28) and d.recognition.preprocessed.stages
               for d in digits)
    assert [len(d.ink.strokes) for d in digits] == [1, 1, 1]
    j = judge_number(digits, Thresholds())
    assert j.number == "701" and j.doubtful == () and abs(j.confidence - 0.99 * 0.98 * 0.97) < 1e-5


def test_each_picture_goes_through_the_model_once():
    """The split reads every candidate digit; the digits it keeps are not read again."""
    ink = number_ink("7015")
    model, seen = sure_of([(7, 0.99), (0, 0.98), (1, 0.97), (5, 0.96)], ink), []

    def predict(images):
        seen.extend(image.tobytes() for image in images)
        return model(images)

    assert [d.recognition.digit for d in read_digits(ink, predict)] == [7, 0, 1, 5]
    assert len(seen) == len(set(seen))


def test_the_digits_kept_are_not_preprocessed_again(monkeypatch):
    """The split made each digit's model input with its stages; reading them reuses it."""
    from digitpad.core import numbers

    ink = number_ink("701")
    model, made, read = sure_of([(7, 0.99), (0, 0.98), (1, 0.97)], ink), [], []
    real = numbers.ink_to_mnist
    monkeypatch.setattr(numbers, "ink_to_mnist", lambda *a, **k: made.append(1) or real(*a, **k))
    digits = read_digits(ink, lambda images: read.extend(images) or model(images))
    assert [d.recognition.digit for d in digits] == [7, 0, 1]
    assert all(d.recognition.preprocessed.stages for d in digits)
    assert len(made) == len(read)  # each candidate made once, for the one time it is read


def test_one_digit_or_parts_one_inside_the_other_are_not_a_number():
    assert read("4", [(4, 0.99)]) == ()  # even split in two, its stem is inside it
    assert read("7", [(7, 0.99)]) == ()
    assert read_digits(Ink(100, 100, ()), sure_of([], Ink(100, 100, ()))) == ()
    # a circle with a stroke inside it: two parts, but not side by side
    t = np.linspace(0, 2 * np.pi, 40)
    ring = np.c_[50 + 40 * np.cos(t), 50 + 40 * np.sin(t)]
    assert not side_by_side([(10, 10, 90, 90), (30, 60, 70, 75)])
    face = Ink(100, 100, (ring, np.array([[30.0, 60], [70, 75]])))
    assert read_digits(face, sure_of([(0, 0.9), (1, 0.9)], face)) == ()


def test_a_digit_of_several_strokes_is_answered_without_reading_its_strokes():
    """Its strokes cannot be split side by side: the number mode costs no pass of the model."""
    def predict(images):
        raise AssertionError("read, though no split could be a number")

    t = np.linspace(0, 2 * np.pi, 40)
    face = Ink(100, 100, (np.c_[50 + 40 * np.cos(t), 50 + 40 * np.sin(t)], np.array([[30.0, 60], [70, 75]])))
    for ink in (number_ink("4"), number_ink("5"), face):
        assert len(ink.strokes) >= 2 and not may_be_side_by_side(ink)
        assert read_digits(ink, predict) == ()
    assert may_be_side_by_side(number_ink("45")) and may_be_side_by_side(number_ink("11"))


def test_the_shortcut_never_changes_what_is_read(monkeypatch):
    """Random drawings of 2-6 strokes read by a model with random (but fixed) answers: whenever the
    shortcut says no split can be side by side, reading every split finds no number either."""
    rng = np.random.default_rng(5)

    def predict(images):
        probs = np.array([np.random.default_rng(zlib.crc32(im.tobytes())).dirichlet(np.full(10, 0.3))
                          for im in images], np.float32)
        return Predictions(probs, None, None, None)

    refused = 0
    for _ in range(120):
        strokes = []
        for _ in range(int(rng.integers(2, 7))):
            start, n = rng.uniform(0, 200, 2), int(rng.integers(2, 12))
            strokes.append(start + np.cumsum(rng.normal(0, rng.uniform(3, 25), (n, 2)), axis=0))
        ink = Ink(300, 300, tuple(strokes))
        if may_be_side_by_side(ink):
            continue
        refused += 1
        monkeypatch.setattr(number_reading, "may_be_side_by_side", lambda *a: True)
        assert read_digits(ink, predict) == ()
        monkeypatch.undo()
    assert refused >= 20  # the case the shortcut saves was tried often enough


def test_side_by_side_allows_a_little_overlap_and_narrow_ones():
    assert side_by_side([(0, 0, 60, 100), (52, 0, 112, 100)])  # a 7's bar reaching over its neighbour
    assert not side_by_side([(0, 0, 60, 100), (20, 0, 80, 100)])
    assert side_by_side([(30, 0, 30, 100), (0, 0, 100, 10)]) is False  # a 1 under a wide bar
    assert side_by_side([(30, 0, 31, 100), (38, 0, 90, 100)])  # a 1 close to the next digit


def test_a_doubtful_digit_stays_marked_and_a_refused_one_is_left_out():
    digits = read("701", [(7, 0.99), (0, 0.40), (1, 0.97)])
    j = judge_number(digits, Thresholds(confidence=0.6))
    assert [x.verdict for x in j.judgements] == [Verdict.DIGIT, Verdict.NOT_SURE, Verdict.DIGIT]
    assert j.number == "701" and j.doubtful == (1,)
    digits = read("701", [(7, 0.99), (0, 0.95, 0.1), (1, 0.97)])
    j = judge_number(digits, Thresholds(confidence=0.6, digit_likeness=0.5))
    assert j.judgements[1].verdict is Verdict.NOT_A_DIGIT and j.number == "71" and j.doubtful == (1,)
    assert abs(j.confidence - 0.99 * 0.97) < 1e-5
    nothing = judge_number(digits, Thresholds(confidence=0.6, digit_likeness=0.95))
    assert nothing.number is None and nothing.confidence == 0.0
