"""Splitting a written or pictured number into its digits (no model: a fake reader where the model
would choose)."""
import cv2
import numpy as np
import pytest

from digitpad.core.ink import Ink, render
from digitpad.core.numbers import group_strokes, split_ink, split_picture

# Digits as strokes in a 60 x 100 box (y down), placed at x offsets.
SHAPES = {
    "1": [[(30, 0), (30, 100)]],
    "4": [[(40, 0), (0, 65), (60, 65)], [(45, 30), (45, 100)]],  # two strokes
    "5": [[(55, 0), (10, 0), (8, 45), (40, 40), (58, 70), (40, 98), (5, 90)], [(10, 0), (58, 2)]],
    "7": [[(0, 0), (60, 0), (20, 100)]],
    "0": [[(30 + 28 * np.sin(t), 50 - 50 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]],
}


def number_ink(text: str, gap: float = 25.0, first_x: float = 10.0) -> Ink:
    strokes, x = [], first_x
    for ch in text:
        for s in SHAPES[ch]:
            strokes.append(np.array([(x + px, 20 + py) for px, py in s], float))
        x += 60 + gap
    return Ink(x + 20, 140, tuple(strokes))


def test_multi_stroke_digits_stay_whole_and_digits_come_left_to_right():
    ink = number_ink("451")
    groups = group_strokes(ink.strokes)
    assert groups == [[0, 1], [2, 3], [4]]
    pieces = split_ink(ink)
    assert len(pieces) == 3 and [p.box[0] for p in pieces] == sorted(p.box[0] for p in pieces)
    assert all(p.image.shape == (28, 28) and p.image.max() > 0.5 for p in pieces)


def test_strokes_written_out_of_order_are_grouped_by_place():
    ink = number_ink("45")
    shuffled = Ink(ink.width, ink.height, (ink.strokes[3], ink.strokes[0], ink.strokes[2], ink.strokes[1]))
    assert [sorted(len(shuffled.strokes[i]) for i in g) for g in group_strokes(shuffled.strokes)] == \
        [sorted(len(ink.strokes[i]) for i in g) for g in group_strokes(ink.strokes)]


@pytest.mark.parametrize("gap", [-8.0, 0.0, 3.0])
def test_touching_and_slightly_overlapping_neighbours_stay_apart(gap):
    """A 7 whose bar reaches over the next digit's edge, and digits that touch, are still two."""
    assert len(split_ink(number_ink("70", gap=gap))) == 2
    assert len(split_ink(number_ink("17", gap=gap))) == 2


def test_a_single_digit_and_an_empty_ink():
    assert len(split_ink(number_ink("4"))) == 1
    assert split_ink(Ink(100, 100, ())) == []


def test_the_model_chooses_between_two_readings_of_the_split():
    """A stroke overlapping its neighbour by about a third of its width: either its own digit or
    part of the neighbour; the reader that is surer of the two-digit reading wins, and the other
    way round."""
    left = np.array([(20, 0), (50, 100)], float)
    right = np.array([(40, 0), (100, 0), (60, 100)], float)
    ink = Ink(120, 120, (left + [20, 10], right + [20, 10]))

    def sure_of(count):
        """A reader sure of pictures whose ink is as wide as ``count`` digits' ink would be."""
        def read(images):
            wide = (images > 0.3).any(axis=1).sum(axis=1) > 14
            p = np.full((len(images), 10), 0.02)
            p[:, 0] = np.where(wide == (count == 1), 0.82, 0.3)
            return p / p.sum(1, keepdims=True)
        return read

    assert len(split_ink(ink, sure_of(2))) == 2
    assert len(split_ink(ink, sure_of(1))) == 1


def _picture(text: str, gap: float) -> np.ndarray:
    return 255 - render(number_ink(text, gap=gap), pen_width=9.0)  # dark ink on white paper


def test_a_pictured_number_splits_by_components():
    pieces = split_picture(_picture("4170", gap=30))
    assert len(pieces) == 4 and all(p.image.shape == (28, 28) for p in pieces)
    assert [p.box[0] for p in pieces] == sorted(p.box[0] for p in pieces)


def test_touching_pictured_digits_are_cut_where_the_reader_reads_best():
    img = _picture("70", gap=-6)
    mask = img < 128
    assert cv2.connectedComponents(mask.astype(np.uint8))[0] == 2  # background + one blob: they touch

    def prefers_two(images):
        p = np.full((len(images), 10), 0.02)
        p[:, 7] = 0.9 if len(images) == 2 else 0.2
        return p / p.sum(1, keepdims=True)

    pieces = split_picture(img, prefers_two)
    assert len(pieces) == 2
    assert pieces[0].box[2] <= pieces[1].box[0] + 1
    assert split_picture(np.full((40, 40), 255, np.uint8)) == []


def test_a_number_written_to_a_prompt_becomes_labelled_digits():
    from digitpad.core.numbers import digits_of_number

    ink = number_ink("451")
    digits = digits_of_number(ink, "451")
    assert [label for _, label in digits] == [4, 5, 1]
    assert [len(sub.strokes) for sub, _ in digits] == [2, 2, 1]  # each digit keeps its own strokes
    with pytest.raises(ValueError, match="I see 3 digits, not 4"):
        digits_of_number(ink, "4510")
