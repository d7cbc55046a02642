"""The stroke widths a model reads ink at, chosen on real ink it did not learn from.

A model trained on MNIST and redrawn ink may read pen-tablet ink better drawn thinner or thicker
than MNIST's median stroke, or drawn at two widths with the class probabilities averaged, so each
model keeps its widths in its sidecar: chosen once after training from scratch, kept when it is
fine-tuned. Anything but MNIST's width alone is taken only when it reads the calibration inks
better by McNemar's exact test at :data:`ALPHA`. The shipped default read the UNIPEN ``tune``
writers 0.25 points better at 0.8 times the width alone (p = 0.08), and the ``test`` writers 0.09
points worse, so a difference that small is noise; at MNIST's width and 0.6 of it together it
read them 0.35 points better (65 errors to 54, p = 0.007).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..core.comparison import mcnemar
from ..core.ink import Ink, ink_to_mnist
from ..core.preprocess import MODEL_STROKE_RATIO, stacked
from .recognizer_base import RecognizerBase

#: Widths tried alone, as fractions of :data:`~digitpad.core.preprocess.MODEL_STROKE_RATIO`.
FRACTIONS = (0.6, 0.7, 0.8, 0.9, 1.0)
#: Tried too: MNIST's width and the thinnest, their answers averaged. A thin drawing keeps a
#: small, cramped digit's loops open; MNIST's keeps what the model learnt from.
TOGETHER = (1.0, 0.6)
#: How unlikely the gain must be by chance before a model reads at anything but MNIST's width
#: alone: 0.05 shared among the five others tried.
ALPHA = 0.01

Widths = tuple[float, ...]


def _ratios(fractions) -> Widths:
    return tuple(round(f * MODEL_STROKE_RATIO, 4) for f in fractions)


def label(widths: Widths) -> str:
    """How the sidecar names a choice: ``0.14``, or ``0.14+0.084`` for two widths averaged."""
    return "+".join(f"{w:g}" for w in widths)


def read_correctly(rec: RecognizerBase, inks: list[Ink], labels: np.ndarray, widths: Widths) -> np.ndarray:
    """Which of ``inks`` ``rec`` reads right when they are drawn at ``widths`` (blank ones are not)."""
    settings = replace(rec.info.preprocessing, stroke_ratio=widths[0], also_ratios=tuple(widths[1:]))
    x, blank = stacked([ink_to_mnist(ink, settings) for ink in inks])
    return (rec.class_probabilities(x).argmax(axis=1) == np.asarray(labels)) & ~blank


def choose(rec: RecognizerBase, inks: list[Ink], labels: np.ndarray) -> tuple[Widths, dict[Widths, dict]]:
    """The widths to read at, and per choice tried its accuracy and McNemar p-value against MNIST's."""
    mnist = (MODEL_STROKE_RATIO,)
    if not inks:
        return mnist, {}
    choices = [_ratios((f,)) for f in FRACTIONS] + [_ratios(TOGETHER)]
    correct = {w: read_correctly(rec, inks, labels, w) for w in choices}
    base = correct[mnist]
    table = {w: {"accuracy": float(c.mean()),
                 "p_value": mcnemar(int((base & ~c).sum()), int((c & ~base).sum())).p_value} for w, c in correct.items()}
    better = [w for w in choices if table[w]["accuracy"] > table[mnist]["accuracy"] and table[w]["p_value"] < ALPHA]
    # the best; among equals one width before two, and the one nearest MNIST's
    return max(better, key=lambda w: (table[w]["accuracy"], -len(w), w[0]), default=mnist), table
