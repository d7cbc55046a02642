"""Two readings of the same digits (core.comparison) and the picture of them (core.comparison_plot),
on hand-made arrays whose answers are known."""
from math import comb

import cv2
import numpy as np
import pytest

from digitpad.core.comparison import BLANK, Comparison, cell, improvement, mcnemar
from digitpad.core.comparison_plot import render_comparison, save_comparison_png


@pytest.mark.parametrize("only_a, only_b, p", [
    (10, 2, 158 / 4096),  # 2 * (C(12,0) + C(12,1) + C(12,2)) / 2**12
    (2, 10, 158 / 4096),  # two-sided: the same either way round
    (0, 6, 2 / 64),
    (6, 0, 2 / 64),
    (1, 1, 1.0),
    (5, 5, 1.0),  # twice the tail passes 1: capped
    (0, 0, 1.0),  # nothing differs: nothing to test
    (30, 10, 2 * sum(comb(40, i) for i in range(11)) / 2 ** 40),
])
def test_exact_mcnemar_p_values(only_a, only_b, p):
    t = mcnemar(only_a, only_b)
    assert (t.only_a, t.only_b) == (only_a, only_b)
    assert t.p_value == pytest.approx(p, rel=1e-9)


def test_the_statistic_and_the_sentence():
    t = mcnemar(10, 2)
    assert t.statistic == pytest.approx(49 / 12)  # (|10 - 2| - 1)**2 / 12
    s = t.sentence("old", "new")
    assert "10 digits only old reads right, 2 only new" in s and "p = 0.0386" in s and "real difference" in s
    assert "may be chance" in mcnemar(3, 1).sentence()
    assert "no difference to test" in mcnemar(0, 0).sentence("a", "b")


def test_fixed_broken_and_disagreements_of_a_known_pair():
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    before = np.array([0, 7, 2, 5, 4, BLANK, 6, 1, 8, 4])
    after = np.array([0, 1, 2, 3, 9, 5, 6, 7, 3, 7])
    c = Comparison(labels, before, after)
    assert c.fixed.tolist() == [1, 3, 5, 7]  # wrong before (a blank too), right after
    assert c.broken.tolist() == [4, 8]
    assert c.disagree.tolist() == [1, 3, 4, 5, 7, 8, 9]  # 9: wrong both times, but differently
    sa, sb = c.scores
    assert (sa.accuracy, sb.accuracy) == (0.5, 0.7)  # 5 right, + 4 fixed - 2 broken
    assert sa.confusion[5, 10] == 1  # the blank input counted as a blank, so wrong
    t = c.test()
    assert (t.only_a, t.only_b) == (2, 4)  # only_a: before right, after wrong
    assert t.p_value == pytest.approx(2 * (1 + 6 + 15) / 64)


def test_blank_predictions_are_wrong_and_disagree_with_a_digit():
    labels = np.array([3, 3, 3])
    c = Comparison(labels, [BLANK, BLANK, 3], [3, BLANK, BLANK], ("A", "B"))
    assert c.fixed.tolist() == [0] and c.broken.tolist() == [2] and c.disagree.tolist() == [0, 2]
    assert cell(labels, c.a, 3, 10).tolist() == [0, 1] == cell(labels, c.a, 3, BLANK).tolist()


def test_delta_and_improvement():
    c = Comparison([1, 1, 1, 2], [7, 7, 1, 2], [1, 7, 1, 1])
    d = c.delta()
    assert d.shape == (10, 11)
    assert (d[1, 1], d[1, 7], d[2, 2], d[2, 1]) == (1, -1, -1, 1)
    assert improvement(d, 1, 1) == 1 and improvement(d, 1, 7) == 1  # one more right, one fewer 1-read-as-7
    assert improvement(d, 2, 2) == -1 and improvement(d, 2, 1) == -1


def test_readings_of_different_lengths_are_refused():
    with pytest.raises(ValueError):
        Comparison([1, 2, 3], [1, 2], [1, 2, 3])


def test_the_comparison_picture(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 400)
    a = np.where(rng.random(400) < 0.9, labels, rng.integers(0, 10, 400))
    b = np.where(rng.random(400) < 0.8, labels, rng.integers(0, 10, 400))
    b[:3] = BLANK
    c = Comparison(labels, a, b, ("one", "two"))
    img = render_comparison(c, "test.npz")
    assert img.ndim == 3 and img.shape[2] == 3 and img.shape[1] > 2.5 * img.shape[0] > 0
    thirds = np.array_split(img[80:], 3, axis=1)  # A, B and the difference all drew something
    assert all((part < 250).any() for part in thirds)
    target = tmp_path / "out" / "cmp.png"
    save_comparison_png(c, target, "test.npz")
    assert np.array_equal(cv2.imread(str(target)), img)
    assert sorted(p.name for p in target.parent.iterdir()) == ["cmp.png"]  # no temporary left behind
