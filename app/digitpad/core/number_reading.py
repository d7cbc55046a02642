"""A drawing read as a whole number: its digits, each with the model's answer and its verdict.

The app's number mode shows what :func:`read_digits` finds (run on the recognition worker, with
the loaded model's ``predict``) and judges it with :func:`judge_number`, the same rule as
``digitpad predict --number``: a digit refused as "not a digit" is left out of the number, a
"not sure" digit stays in it (marked), and the number's confidence is the product of its digits'.
No Qt, no TensorFlow: ``predict`` is any function from model inputs to :class:`Predictions`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .ink import Ink
from .numbers import MAX_STROKES_READ, Box, split_ink, stroke_runs, strokes_box
from .preprocess import PreprocessSettings
from .recognition import Predictions, Recognition
from .verdict import Judgement, Thresholds, Verdict, judge

Predict = Callable[[np.ndarray], Predictions]  # (N, 28, 28) model inputs -> the model's answers

#: Two digits of a number may share this much of the narrower one's width (a 7's bar reaching over
#: its neighbour); parts that share more are not written side by side (a face's mouth under its
#: head, an E's bars), so the drawing is read as one thing, as before number mode.
SIDE_BY_SIDE = 0.5
#: A part's width counts as at least this share of the tallest part's height (a 1 has almost none).
NARROWEST = 0.25


@dataclass(frozen=True)
class DigitReading:
    """One digit of a written number: where it is (ink coordinates), its strokes, and the
    model's answer for it with the preprocessing stages, as for a single digit."""

    box: Box
    recognition: Recognition
    ink: Ink | None = None


@dataclass(frozen=True)
class NumberJudgement:
    judgements: tuple[Judgement, ...]  # one per digit, left to right
    number: str | None  # the digits not refused, left to right; None when every part was refused
    confidence: float  # the product of those digits' confidences (0 when there is no number)

    @property
    def doubtful(self) -> tuple[int, ...]:
        """Positions of the digits that are not read as digits for sure (not sure, or refused)."""
        return tuple(k for k, j in enumerate(self.judgements) if j.verdict is not Verdict.DIGIT)


def read_digits(ink: Ink, predict: Predict, settings: PreprocessSettings = PreprocessSettings(),
                min_digits: int = 2) -> tuple[DigitReading, ...]:
    """The digits of ``ink`` read one by one, left to right; ``()`` when it holds fewer than
    ``min_digits`` or its parts are not side by side (a single digit, a face: read as a whole)."""
    if sum(len(s) > 0 for s in ink.strokes) < min_digits:  # a digit per stroke at most
        return ()
    if not may_be_side_by_side(ink, min_digits):  # most single digits of several strokes: nothing to read
        return ()
    answers: dict[bytes, tuple] = {}  # model input -> the model's whole answer: each picture is read once

    def read(images: np.ndarray) -> np.ndarray:
        out = predict(images)
        for k, image in enumerate(images):
            answers[image.tobytes()] = tuple(None if v is None else v[k] for v in
                                             (out.probabilities, out.reconstructions, out.reconstruction_errors,
                                              out.digit_likeness))
        return out.probabilities

    pieces = split_ink(ink, read, settings)
    if len(pieces) < min_digits or not side_by_side([p.box for p in pieces]):
        return ()
    pres = [p.pre for p in pieces]  # the split made each with its stages: not made again
    unread = [pre.model_input for pre in pres if pre.model_input.tobytes() not in answers]
    if unread:  # the split read these very pictures; this is only a safety net
        read(np.stack(unread))
    readings = []
    for p, pre in zip(pieces, pres):
        probs, recon, error, likeness = answers[pre.model_input.tobytes()]
        readings.append(DigitReading(p.box, Recognition(pre, probs, recon, None if error is None else float(error),
                                                        None if likeness is None else float(likeness)), p.ink))
    return tuple(readings)


#: Up to this many strokes, :func:`may_be_side_by_side` looks at every split; beyond, it says yes.
SPLITS_CHECKED = 10


def may_be_side_by_side(ink: Ink, min_digits: int = 2) -> bool:
    """False when no split :func:`split_ink` could choose puts ``min_digits`` or more parts side
    by side: reading the strokes could then only end in ``()``. Boxes only, no model: a 4 or a
    crossed 7 in two strokes costs nothing here, where reading its runs costs several passes."""
    strokes = [s for s in ink.strokes if len(s)]
    n = len(strokes)
    if n > min(SPLITS_CHECKED, MAX_STROKES_READ):
        return True
    if n < min_digits:
        return False
    _, runs = stroke_runs(strokes)
    boxes = {(i, j): strokes_box(strokes[i:j]) for i, j in runs}  # the boxes split_ink's pieces would get

    def splits(start: int):
        if start == n:
            yield []
        for i, j in runs:
            if i == start:
                for rest in splits(j):
                    yield [(i, j), *rest]

    return any(len(split) >= min_digits and side_by_side([boxes[r] for r in split]) for split in splits(0))


def side_by_side(boxes: Sequence[Box]) -> bool:
    """True when no two parts share more than :data:`SIDE_BY_SIDE` of the narrower one's width, each
    part counted at least :data:`NARROWEST` of the tallest part's height wide (so a 1, or a 4's stem,
    inside another part's width is not beside it)."""
    least = NARROWEST * max(b[3] - b[1] for b in boxes)

    def extent(b: Box) -> tuple[float, float]:
        half = max(b[2] - b[0], least, 1e-9) / 2
        return (b[0] + b[2]) / 2 - half, (b[0] + b[2]) / 2 + half

    spans = [extent(b) for b in boxes]
    for k, (a0, a1) in enumerate(spans):
        for b0, b1 in spans[k + 1:]:
            if min(a1, b1) - max(a0, b0) > SIDE_BY_SIDE * min(a1 - a0, b1 - b0):
                return False
    return True


def judge_number(digits: Sequence[DigitReading], thresholds: Thresholds) -> NumberJudgement:
    """Each digit judged as a single digit is; the number is made of the digits not refused."""
    judgements = tuple(judge(d.recognition.probabilities, d.recognition.reconstruction_error, thresholds,
                             d.recognition.digit_likeness) for d in digits)
    kept = [d.recognition for d, j in zip(digits, judgements) if j.verdict is not Verdict.NOT_A_DIGIT]
    if not kept:
        return NumberJudgement(judgements, None, 0.0)
    return NumberJudgement(judgements, "".join(str(r.digit) for r in kept),
                           float(np.prod([r.confidence for r in kept])))
