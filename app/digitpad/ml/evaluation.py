"""``digitpad evaluate``: a model on a labelled set through the shared preprocessing."""
from __future__ import annotations


from ..core.labelled_sets import LabelledSet
from ..core.metrics import Scores, score
from ..core.preprocess import to_mnist_batch
from .recognizer import Recognizer


def evaluate_set(rec: Recognizer, data: LabelledSet) -> Scores:
    x, blank = to_mnist_batch(data.images, rec.info.preprocessing)
    predicted = rec.predict(x).probabilities.argmax(axis=1)
    predicted[blank] = -1
    return score(data.labels, predicted)
