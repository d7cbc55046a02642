"""Whether to announce a digit, and if not, which signal said so.

Three signals, each with a threshold calibrated on validation digits when the model is trained
and stored in its sidecar:

- ``digit_likeness``: the model's own "is this a digit at all" output, learnt from letters,
  symbols and scribbles (models trained with non-digits have it);
- ``reconstruction_error``: how badly the autoencoder rebuilds the drawing (models whose decoder
  draws a picture);
- ``confidence``: the top class probability; below it the answer is "not sure".

A model without a signal is judged by those it has; :attr:`Judgement.signals` names them, so the
app and ``predict`` can say what the verdict rests on.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

#: Used when a model's sidecar has no calibrated thresholds.
DEFAULT_CONFIDENCE = 0.6
DEFAULT_RECONSTRUCTION_ERROR = 0.06
DEFAULT_DIGIT_LIKENESS = 0.5

SIGNAL_NAMES = {"digit_likeness": "digit-likeness", "reconstruction_error": "reconstruction error",
                "confidence": "confidence"}


class Verdict(str, Enum):
    EMPTY = "empty"
    DIGIT = "digit"
    NOT_SURE = "not sure"
    NOT_A_DIGIT = "not a digit"


def _number(value, default: float | None, low: float, high: float) -> float | None:
    """A threshold from a sidecar or the settings; anything but a finite number in range is the default."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return float(value) if low <= value <= high else default


@dataclass(frozen=True)
class Thresholds:
    """``None`` for a signal means the model's calibration found it meaningless (the paper model's
    decoder does not draw the digit back), so it is not used."""

    confidence: float = DEFAULT_CONFIDENCE
    reconstruction_error: float | None = DEFAULT_RECONSTRUCTION_ERROR
    digit_likeness: float | None = DEFAULT_DIGIT_LIKENESS

    @classmethod
    def from_sidecar(cls, data) -> "Thresholds":
        data = data if isinstance(data, dict) else {}

        def signal(key: str, default: float) -> float | None:
            return None if key in data and data[key] is None else _number(data.get(key), default, 0.0, 1.0)

        return cls(_number(data.get("confidence"), DEFAULT_CONFIDENCE, 0.0, 1.0),
                   signal("reconstruction_error", DEFAULT_RECONSTRUCTION_ERROR),
                   signal("digit_likeness", DEFAULT_DIGIT_LIKENESS))

    def to_dict(self) -> dict:
        return {"confidence": self.confidence, "reconstruction_error": self.reconstruction_error,
                "digit_likeness": self.digit_likeness}


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    signals: tuple[str, ...] = ()  # the signals this model has, in the order they are checked
    signal: str | None = None  # the one that decided a refusal or a "not sure"
    value: float | None = None
    threshold: float | None = None

    @property
    def reason(self) -> str:
        """"digit-likeness 0.03, below 0.41" for a refusal; "" for a digit or an empty input."""
        if self.signal is None:
            return ""
        side = "above" if self.signal == "reconstruction_error" else "below"
        return f"{SIGNAL_NAMES[self.signal]} {self.value:.4g}, {side} {self.threshold:.4g}"


def judge(probabilities: np.ndarray | None, reconstruction_error: float | None, thresholds: Thresholds,
          digit_likeness: float | None = None) -> Judgement:
    """The verdict for one answer: refusals first (digit-likeness, then reconstruction), then doubt."""
    if probabilities is None:
        return Judgement(Verdict.EMPTY)
    if thresholds.digit_likeness is None:
        digit_likeness = None
    if thresholds.reconstruction_error is None:
        reconstruction_error = None
    signals = tuple(name for name, value in (("digit_likeness", digit_likeness),
                                             ("reconstruction_error", reconstruction_error))
                    if value is not None) + ("confidence",)
    if digit_likeness is not None and digit_likeness < thresholds.digit_likeness:
        return Judgement(Verdict.NOT_A_DIGIT, signals, "digit_likeness", float(digit_likeness),
                         thresholds.digit_likeness)
    if reconstruction_error is not None and reconstruction_error > thresholds.reconstruction_error:
        return Judgement(Verdict.NOT_A_DIGIT, signals, "reconstruction_error", float(reconstruction_error),
                         thresholds.reconstruction_error)
    confidence = float(np.max(probabilities))
    if confidence < thresholds.confidence:
        return Judgement(Verdict.NOT_SURE, signals, "confidence", confidence, thresholds.confidence)
    return Judgement(Verdict.DIGIT, signals)
