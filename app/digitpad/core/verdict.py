"""Whether to announce a digit: "not sure" when confidence is low, "not a digit" when the
autoencoder cannot rebuild the drawing (scribbles, letters, faces reconstruct badly)."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

#: Used when a model's sidecar has no calibrated thresholds.
DEFAULT_CONFIDENCE = 0.6
DEFAULT_RECONSTRUCTION_ERROR = 0.06


class Verdict(str, Enum):
    EMPTY = "empty"
    DIGIT = "digit"
    NOT_SURE = "not sure"
    NOT_A_DIGIT = "not a digit"


@dataclass(frozen=True)
class Thresholds:
    confidence: float = DEFAULT_CONFIDENCE
    reconstruction_error: float = DEFAULT_RECONSTRUCTION_ERROR

    @classmethod
    def from_sidecar(cls, data: dict | None) -> "Thresholds":
        data = data or {}
        return cls(float(data.get("confidence", DEFAULT_CONFIDENCE)),
                   float(data.get("reconstruction_error", DEFAULT_RECONSTRUCTION_ERROR)))


def judge(probabilities: np.ndarray | None, reconstruction_error: float | None, thresholds: Thresholds) -> Verdict:
    if probabilities is None:
        return Verdict.EMPTY
    if reconstruction_error is not None and reconstruction_error > thresholds.reconstruction_error:
        return Verdict.NOT_A_DIGIT
    if float(np.max(probabilities)) < thresholds.confidence:
        return Verdict.NOT_SURE
    return Verdict.DIGIT
