"""The one background worker that owns TensorFlow and the model.

Requests are immutable snapshots with increasing ids. Submitting cancels the request still
waiting (napari's layer slicer does the same), and the window drops any result older than the one
it shows, so a burst of pointer events never builds a queue. Loading or swapping a model runs on
the same thread, so the model is only ever touched there.
"""
from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..core.errors import DigitPadError
from ..core.ink import Ink


@dataclass(frozen=True)
class RecognitionRequest:
    id: int
    ink: Ink | None = None
    image: np.ndarray | None = None
    submitted: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True)
class RecognitionResult:
    request_id: int
    recognition: Any  # digitpad.ml.recognizer.Recognition, or None on failure
    latency_ms: float
    submitted: float
    error: str | None = None


@dataclass(frozen=True)
class ModelSummary:
    path: str
    name: str
    description: dict
    info: Any  # core.model_info.ModelInfo
    has_reconstruction: bool
    load_ms: float


class RecognitionWorker(QObject):
    resultReady = Signal(object)  # RecognitionResult
    modelLoaded = Signal(object)  # ModelSummary
    modelFailed = Signal(str, str)  # path, message
    modelLoading = Signal(str)  # path
    batchPredicted = Signal(object, object)  # ids, predicted digits

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digitpad-recognizer")
        self._lock = threading.Lock()
        self._pending: Future | None = None
        self._ids = itertools.count(1)
        self._recognizer = None  # touched only on the worker thread
        self.processed = 0
        self.dropped = 0

    # -- model ---------------------------------------------------------------------------
    def load_model(self, path: str | Path) -> Future:
        path = str(path)
        self.modelLoading.emit(path)
        return self._executor.submit(self._load, path)

    def _load(self, path: str) -> None:
        start = time.perf_counter()
        try:
            from ..ml.recognizer import Recognizer  # TensorFlow is imported here, off the GUI thread

            rec = Recognizer.load(path)
        except DigitPadError as exc:
            self.modelFailed.emit(path, str(exc))
            return
        except Exception as exc:  # anything else a foreign file provokes: still one clear message
            self.modelFailed.emit(path, f"{path}: cannot use this model ({type(exc).__name__}: {exc})")
            return
        self._recognizer = rec
        self.modelLoaded.emit(ModelSummary(path, rec.name, rec.describe(), rec.info, rec.has_reconstruction,
                                           (time.perf_counter() - start) * 1000))

    # -- recognition -----------------------------------------------------------------------
    def next_id(self) -> int:
        return next(self._ids)

    def submit(self, ink: Ink | None = None, image: np.ndarray | None = None) -> int:
        """Queue a snapshot for recognition, replacing the one still waiting; returns its id."""
        request = RecognitionRequest(self.next_id(), ink, None if image is None else np.array(image, copy=True))
        with self._lock:
            if self._pending is not None and self._pending.cancel():
                self.dropped += 1
            self._pending = self._executor.submit(self._run, request)
        return request.id

    def _run(self, request: RecognitionRequest) -> None:
        rec = self._recognizer
        start = time.perf_counter()
        if rec is None:
            self.resultReady.emit(RecognitionResult(request.id, None, 0.0, request.submitted, "no model loaded"))
            return
        try:
            if request.ink is not None:
                recognition = rec.recognise_ink(request.ink, keep_stages=True)
            else:
                recognition = rec.recognise_image(request.image, keep_stages=True)
        except Exception as exc:  # a weird picture must not kill the worker
            self.resultReady.emit(RecognitionResult(request.id, None, 0.0, request.submitted, str(exc)))
            return
        self.processed += 1
        self.resultReady.emit(RecognitionResult(request.id, recognition, (time.perf_counter() - start) * 1000,
                                                request.submitted))

    def predict_batch(self, ids, images: np.ndarray) -> Future:
        """Read many stored 28x28 samples with the current model (the dataset view)."""
        def run():
            rec = self._recognizer
            if rec is None:
                return
            from ..core.preprocess import to_mnist_batch

            x, blank = to_mnist_batch(images, rec.info.preprocessing)
            digits = rec.predict(x).probabilities.argmax(axis=1)
            digits[blank] = -1
            self.batchPredicted.emit(list(ids), digits.tolist())
        return self._executor.submit(run)

    def call_on_worker(self, fn, *args) -> Future:
        """Run ``fn`` on the worker thread (tests use it to block the worker)."""
        return self._executor.submit(fn, *args)

    def shutdown(self) -> None:
        with self._lock:
            if self._pending is not None:
                self._pending.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)
