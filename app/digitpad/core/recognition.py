"""What a recogniser answers: the result types that cross from ``ml`` to ``gui`` and the CLI.

They live here, free of TensorFlow, so the GUI and the command line stay typed whichever
recogniser (numpy or TensorFlow) produced them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .preprocess import Preprocessed


@dataclass(frozen=True)
class Predictions:
    probabilities: np.ndarray  # (N, 10)
    reconstructions: np.ndarray | None  # (N, 28, 28)
    reconstruction_errors: np.ndarray | None  # (N,) mean squared error per picture
    digit_likeness: np.ndarray | None = None  # (N,) the model's "is a digit at all", 0..1

    @classmethod
    def joined(cls, parts: list["Predictions"]) -> "Predictions":
        """One after the other, as if read in one call."""
        parts = [p for p in parts if len(p.probabilities)] or parts[:1]  # an empty part has no fields to join
        if len(parts) == 1:
            return parts[0]

        def join(name: str):
            return None if getattr(parts[0], name) is None else np.concatenate([getattr(p, name) for p in parts])

        return cls(*(join(n) for n in ("probabilities", "reconstructions", "reconstruction_errors", "digit_likeness")))


@dataclass(frozen=True)
class Recognition:
    """One picture's answer, with the exact model input and its preprocessing stages."""

    preprocessed: Preprocessed
    probabilities: np.ndarray | None
    reconstruction: np.ndarray | None
    reconstruction_error: float | None
    digit_likeness: float | None = None

    @property
    def empty(self) -> bool:
        return self.preprocessed.empty

    @property
    def digit(self) -> int | None:
        return None if self.probabilities is None else int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return 0.0 if self.probabilities is None else float(np.max(self.probabilities))
