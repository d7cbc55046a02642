"""``digitpad evaluate``: a model on a labelled set through the shared preprocessing (no TensorFlow
import of its own: the recogniser brings it if it needs it)."""
from __future__ import annotations

from ..core.labelled_sets import LabelledSet
from ..core.metrics import Scores, score
from ..core.preprocess import to_mnist_batch
from .recognizer_base import RecognizerBase


def evaluate_set(rec: RecognizerBase, data: LabelledSet) -> Scores:
    x, blank = to_mnist_batch(data.images, rec.info.preprocessing)
    predicted = rec.predict(x).probabilities.argmax(axis=1)
    predicted[blank] = -1
    return score(data.labels, predicted)
