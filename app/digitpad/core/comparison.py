"""Two readings of the same labelled digits: a model before and after fine-tuning, or two models.

What changed, digit by digit (fixed, broken, disagreements), the confusion matrices' difference,
and McNemar's test of whether the two accuracies differ beyond chance: it looks only at the digits
the two read differently, which is what decides whether 99.60% against 99.55% means anything.
Numpy and the standard library only; shared by ``digitpad evaluate --compare`` and the app's
report view.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .metrics import Scores, score

BLANK = -1  # a prediction for a blank input


@dataclass(frozen=True)
class McNemar:
    only_a: int  # digits A reads right and B wrong
    only_b: int  # digits B reads right and A wrong
    p_value: float  # two-sided, exact binomial on the only_a + only_b digits that differ
    statistic: float  # the chi-squared statistic with continuity correction, for reference

    def sentence(self, a: str = "A", b: str = "B") -> str:
        n = self.only_a + self.only_b
        if n == 0:
            return f"{a} and {b} are right and wrong on exactly the same digits: no difference to test"
        verdict = ("a real difference (p < 0.05)" if self.p_value < 0.05
                   else "not a significant difference (p >= 0.05): it may be chance")
        digits = "digit" if self.only_a == 1 else "digits"
        return (f"McNemar's test: {self.only_a} {digits} only {a} reads right, {self.only_b} only {b}; "
                f"p = {self.p_value:.3g}, {verdict}")


def mcnemar(only_a: int, only_b: int) -> McNemar:
    """Exact two-sided McNemar test: under "no difference" each discordant digit is a fair coin."""
    n, k = int(only_a) + int(only_b), min(int(only_a), int(only_b))
    if n == 0:
        return McNemar(int(only_a), int(only_b), 1.0, 0.0)
    log_half = n * math.log(0.5)
    tail = sum(math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half)
               for i in range(k + 1))
    stat = max(0, abs(only_a - only_b) - 1) ** 2 / n
    return McNemar(int(only_a), int(only_b), min(1.0, 2 * tail), float(stat))


@dataclass(frozen=True)
class Comparison:
    """``a`` and ``b``: predicted digits (``BLANK`` for a blank input) for the same ``labels``."""

    labels: np.ndarray
    a: np.ndarray
    b: np.ndarray
    names: tuple[str, str] = ("before", "after")

    def __post_init__(self):
        for name in ("labels", "a", "b"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), np.int64).reshape(-1))
        if not (len(self.labels) == len(self.a) == len(self.b)):
            raise ValueError("labels and both predictions must have the same length")

    @property
    def scores(self) -> tuple[Scores, Scores]:
        return score(self.labels, self.a), score(self.labels, self.b)

    @property
    def fixed(self) -> np.ndarray:
        """Indices ``a`` read wrong and ``b`` right."""
        return np.flatnonzero((self.a != self.labels) & (self.b == self.labels))

    @property
    def broken(self) -> np.ndarray:
        """Indices ``a`` read right and ``b`` wrong."""
        return np.flatnonzero((self.a == self.labels) & (self.b != self.labels))

    @property
    def disagree(self) -> np.ndarray:
        return np.flatnonzero(self.a != self.b)

    def test(self) -> McNemar:
        return mcnemar(len(self.broken), len(self.fixed))

    def delta(self) -> np.ndarray:
        """(10, 11) ``b``'s confusion minus ``a``'s: on the diagonal more is better, off it fewer."""
        sa, sb = self.scores
        return sb.confusion - sa.confusion


def cell(labels: np.ndarray, predicted: np.ndarray, true: int, read: int) -> np.ndarray:
    """Indices of the digits labelled ``true`` and read as ``read`` (10 or ``BLANK``: blank)."""
    predicted = np.asarray(predicted)
    wanted = BLANK if read in (10, BLANK) else read
    return np.flatnonzero((np.asarray(labels) == true) & (predicted == wanted))


def improvement(delta: np.ndarray, true: int, read: int) -> int:
    """+n: ``n`` more digits right (diagonal) or fewer misread (off it); -n: worse."""
    return int(delta[true, read] if true == read else -delta[true, read])


def improvements(delta: np.ndarray, columns: int) -> np.ndarray:
    """:func:`improvement` of every cell of the first ``columns`` columns, as a (10, columns) matrix."""
    return np.array([[improvement(delta, t, r) for r in range(columns)] for t in range(10)], np.int64)
