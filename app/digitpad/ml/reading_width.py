"""The stroke width a model reads ink at, chosen on real ink it did not learn from.

A model trained on MNIST and redrawn ink may read pen-tablet ink better drawn thinner or thicker
than MNIST's median stroke, so each model keeps its own width in its sidecar: chosen once after
training from scratch, kept when it is fine-tuned. A width other than MNIST's is taken only when
it reads the calibration inks better by McNemar's exact test at :data:`ALPHA`. The shipped default
read the UNIPEN ``tune`` writers 0.25 points better at 0.8 times the width (p = 0.08), and the
``test`` writers 0.09 points worse, so a difference that small is noise.
"""
from __future__ import annotations

import numpy as np

from ..core.comparison import mcnemar
from ..core.ink import Ink, ink_to_mnist
from ..core.preprocess import MODEL_STROKE_RATIO, PreprocessSettings, stacked
from .recognizer_base import RecognizerBase

#: Widths tried, as fractions of :data:`~digitpad.core.preprocess.MODEL_STROKE_RATIO`.
FRACTIONS = (0.6, 0.7, 0.8, 0.9, 1.0)
#: How unlikely the gain must be by chance before a model reads at another width than MNIST's:
#: 0.05 shared among the four other widths tried.
ALPHA = 0.01


def read_correctly(rec: RecognizerBase, inks: list[Ink], labels: np.ndarray, ratio: float) -> np.ndarray:
    """Which of ``inks`` ``rec`` reads right when they are drawn at ``ratio`` (blank ones are not)."""
    settings = PreprocessSettings(**{**rec.info.preprocessing.__dict__, "stroke_ratio": ratio})
    x, blank = stacked([ink_to_mnist(ink, settings) for ink in inks])
    return (rec.class_probabilities(x).argmax(axis=1) == np.asarray(labels)) & ~blank


def choose(rec: RecognizerBase, inks: list[Ink], labels: np.ndarray) -> tuple[float, dict[float, dict]]:
    """The width to read at, and per width tried its accuracy and McNemar p-value against MNIST's."""
    if not inks:
        return MODEL_STROKE_RATIO, {}
    ratios = [round(f * MODEL_STROKE_RATIO, 4) for f in FRACTIONS]
    correct = {r: read_correctly(rec, inks, labels, r) for r in ratios}
    base = correct[MODEL_STROKE_RATIO]
    table = {r: {"accuracy": float(c.mean()),
                 "p_value": mcnemar(int((base & ~c).sum()), int((c & ~base).sum())).p_value} for r, c in correct.items()}
    better = [r for r in ratios if table[r]["accuracy"] > table[MODEL_STROKE_RATIO]["accuracy"]
              and table[r]["p_value"] < ALPHA]
    return max(better, key=lambda r: (table[r]["accuracy"], r), default=MODEL_STROKE_RATIO), table
