"""``digitpad evaluate``: a model on a labelled set through the shared preprocessing (no TensorFlow
import of its own: the recogniser brings it if it needs it)."""
from __future__ import annotations

import numpy as np

from ..core.ink import ink_to_mnist
from ..core.labelled_sets import LabelledSet
from ..core.metrics import Scores, score
from ..core.preprocess import stacked, to_mnist, to_mnist_batch
from .recognizer_base import RecognizerBase


def model_inputs(rec: RecognizerBase, data: LabelledSet) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) float32 inputs for ``rec`` ((N, V, 28, 28) when it reads ink at V widths) and the
    mask of blank ones. Pictures go through the
    picture preprocessing; inks are drawn by the ink path, as ``predict`` draws them, with the
    model's own preprocessing settings."""
    settings = rec.info.preprocessing
    if not data.model_inputs:
        return to_mnist_batch(data.images, settings)
    return stacked([ink_to_mnist(ink, settings) if ink is not None else to_mnist(image, settings)
                    for ink, image in zip(data.inks, data.images)])


def read_inputs(rec: RecognizerBase, x: np.ndarray, blank: np.ndarray, live: bool = False) -> np.ndarray:
    """The digit read in each model input, -1 where it was blank. ``live``: a chunk read on the
    app's worker between drawings, in numpy (a batch job may hand over to TensorFlow)."""
    if not len(x):
        return np.zeros(0, np.int64)
    predicted = (rec.class_probabilities(x) if live else rec.predict(x).probabilities).argmax(axis=1)
    predicted[blank] = -1
    return predicted


def predict_set(rec: RecognizerBase, data: LabelledSet) -> np.ndarray:
    """The digit ``rec`` reads in each of ``data``'s pictures or inks; -1 where it is blank."""
    return read_inputs(rec, *model_inputs(rec, data))


def evaluate_set(rec: RecognizerBase, data: LabelledSet) -> Scores:
    return score(data.labels, predict_set(rec, data))
