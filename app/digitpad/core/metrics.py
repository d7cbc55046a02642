"""Accuracy, per-class accuracy and confusion matrices (numpy only)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Scores:
    accuracy: float
    per_class: np.ndarray  # (10,) recall per true digit; NaN where a digit has no sample
    confusion: np.ndarray  # (10, 11) true x predicted; column 10 counts blank inputs
    count: int
    #: what was read, digit by digit (-1: blank), when known: a report can then list the digits
    #: behind each cell; not kept in JSON
    predicted: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {"accuracy": round(self.accuracy, 6), "count": self.count,
                "per_class": [None if np.isnan(v) else round(float(v), 6) for v in self.per_class],
                "confusion": self.confusion.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Scores":
        """Back from :meth:`to_dict` (reports and sidecars keep scores as JSON)."""
        return cls(float(d["accuracy"]), np.array([np.nan if v is None else v for v in d["per_class"]], float),
                   np.array(d["confusion"], np.int64), int(d["count"]))


def score(labels: np.ndarray, predicted: np.ndarray) -> Scores:
    """``predicted`` holds -1 where the input was blank; that counts as wrong."""
    labels = np.asarray(labels, np.int64)
    predicted = np.asarray(predicted, np.int64)
    cols = np.where(predicted < 0, 10, predicted)
    confusion = np.zeros((10, 11), np.int64)
    np.add.at(confusion, (labels, cols), 1)
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(totals > 0, np.diag(confusion[:, :10]) / np.maximum(totals, 1), np.nan)
    acc = float((labels == predicted).mean()) if len(labels) else float("nan")
    return Scores(acc, per_class, confusion, int(len(labels)), predicted)


def format_scores(s: Scores, title: str) -> str:
    lines = [f"{title}: accuracy {s.accuracy * 100:.2f}% on {s.count} digits "
             f"({s.count - int(np.trace(s.confusion[:, :10]))} wrong)", "per-class accuracy:"]
    lines.append("  " + "  ".join(f"{d}: {'  n/a' if np.isnan(v) else f'{v * 100:5.1f}%'}"
                                  for d, v in enumerate(s.per_class)))
    blank = s.confusion[:, 10].sum()
    lines.append("confusion matrix (rows: true digit, columns: predicted" + (", blank)" if blank else ")"))
    ncols = 11 if blank else 10
    lines.append("     " + "".join(f"{c:>6}" for c in (list(range(10)) + ["blank"])[:ncols]))
    for d in range(10):
        lines.append(f"  {d}: " + "".join(f"{v:>6}" for v in s.confusion[d, :ncols]))
    return "\n".join(lines)


#: the sets a fine-tuning report scores, as the user knows them
REPORT_SETS = {"homemade_test": "your held-out samples", "mnist_test": "MNIST test"}


def format_before_after(before: dict, after: dict) -> str:
    """Before-and-after scores of a fine-tuning report, set by set, as ``format_scores`` prints them."""
    parts = []
    for key, name in REPORT_SETS.items():
        if key in after:
            parts += [format_scores(Scores.from_dict(before[key]), f"{name}, before"),
                      format_scores(Scores.from_dict(after[key]), f"{name}, after")]
    return "\n\n".join(parts)
