"""The one background worker that owns the model (and TensorFlow, when a model needs it).

Several windows ask it to recognise drawings (the main window, the Collect window); each is a
*requester*, named by a key, and keeps its own line to the worker, as napari's layer slicer keys its
tasks by layer. Requests are immutable snapshots with increasing ids. Submitting cancels only the
same requester's request still waiting, and a result reaches only its requester, and only if it
is newer than the last one that requester was given and than the requester's last withdrawal (its
canvas went empty). That check lives here and nowhere else: windows display what they are given.
Loading or swapping a model runs on the same thread, so the model is only ever touched there.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, SignalInstance, Slot

from ..core.errors import DigitPadError
from ..core.ink import Ink


@dataclass(frozen=True)
class InsideAsk:
    """What the Inside panel wants besides the answer: a layer's feature maps, a digit's saliency."""
    layer: str | None = None  # None: the first feature-map layer
    target: int | None = None  # None: the digit the model reads


@dataclass(frozen=True)
class RecognitionRequest:
    requester: Hashable
    id: int
    ink: Ink | None = None
    image: np.ndarray | None = None
    submitted: float = field(default_factory=time.perf_counter)
    numbers: bool = False  # also read the ink as a number, digit by digit (the main window's number mode)
    inside: InsideAsk | None = None  # also look inside the model (the Inside panel)


@dataclass(frozen=True)
class RecognitionResult:
    requester: Hashable
    request_id: int
    recognition: Any  # digitpad.ml.recognizer.Recognition, or None on failure
    latency_ms: float
    submitted: float
    error: str | None = None
    digits: tuple = ()  # core.number_reading.DigitReading, left to right, when the ink holds 2+ digits
    explanation: Any = None  # ml.inside.Explanation, when the request asked to look inside
    inside_note: str | None = None  # why there is no explanation (a model whose layers cannot be seen)


@dataclass(frozen=True)
class ModelSummary:
    path: str
    name: str
    description: dict
    info: Any  # core.model_info.ModelInfo
    has_reconstruction: bool
    load_ms: float
    has_digit_likeness: bool = False


class _ResultChannel(QObject):
    resultReady = Signal(object)  # RecognitionResult, fresh, for this requester only


@dataclass
class _Requester:
    """One requester's line to the worker; read and written on the GUI thread only."""
    channel: _ResultChannel
    pending: Future | None = None  # its request still waiting, the one a new submit replaces
    latest_id: int = 0  # its newest request or withdrawal
    delivered_id: int = 0  # the newest result it was given (or its withdrawal)
    stale_dropped: int = 0


class RecognitionWorker(QObject):
    """Recognition on one background thread, for several requesters kept apart.

    ``submit(requester, ink=...)`` queues a snapshot; ``results(requester)`` is the signal that
    carries that requester's fresh results, on the GUI thread; ``withdraw(requester)`` says its
    canvas went empty, so whatever it asked for before must not be shown.
    """
    _finished = Signal(object)  # RecognitionResult, emitted on the worker thread
    modelLoaded = Signal(object)  # ModelSummary
    modelFailed = Signal(str, str)  # path, message
    modelLoading = Signal(str)  # path
    batchPredicted = Signal(object, object)  # ids, predicted digits
    mapProgress = Signal(int, int)  # MNIST test digits placed, of
    mapReady = Signal(object)  # ml.inside.LatentMap for the current model
    mapFailed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digitpad-recognizer")
        self._lock = threading.Lock()
        self._requesters: dict[Hashable, _Requester] = {}
        self._ids = itertools.count(1)
        self._recognizer = None  # touched only on the worker thread
        self._map = None  # (recogniser, LatentMap): the map of MNIST test for that model
        self._map_builder = None  # ml.inside.MapBuilder while a map is being built
        self.processed = 0
        self.dropped = 0  # requests replaced while waiting
        self._finished.connect(self._deliver, Qt.QueuedConnection)

    # -- model ---------------------------------------------------------------------------
    def load_model(self, path: str | Path, trust: bool = False) -> Future:
        """``trust``: the user agreed to open a SavedModel folder (it runs the program stored in it)."""
        path = str(path)
        self.modelLoading.emit(path)
        return self._executor.submit(self._load, path, trust)

    def _load(self, path: str, trust: bool = False) -> None:
        start = time.perf_counter()
        try:
            # off the GUI thread; a plain .keras file runs in numpy, anything else imports TensorFlow here
            from ..ml.numpy_recognizer import load_recognizer

            rec = load_recognizer(path, trust=trust)
        except DigitPadError as exc:
            self.modelFailed.emit(path, str(exc))
            return
        except Exception as exc:  # anything else a foreign file provokes: still one clear message
            self.modelFailed.emit(path, f"{path}: cannot use this model ({type(exc).__name__}: {exc})")
            return
        self._recognizer = rec
        self.modelLoaded.emit(ModelSummary(path, rec.name, rec.describe(), rec.info, rec.has_reconstruction,
                                           (time.perf_counter() - start) * 1000, rec.has_digit_likeness))

    def use_recognizer(self, recognizer) -> Future:
        """Recognise with an object already built (tests pass a fake with ``recognise_ink``/``recognise_image``)."""
        return self._executor.submit(setattr, self, "_recognizer", recognizer)

    # -- recognition -----------------------------------------------------------------------
    def _requester(self, key: Hashable) -> _Requester:
        state = self._requesters.get(key)
        if state is None:
            state = self._requesters[key] = _Requester(_ResultChannel(self))
        return state

    def results(self, requester: Hashable) -> SignalInstance:
        """The signal that carries ``requester``'s fresh results (a RecognitionResult), on the GUI thread."""
        return self._requester(requester).channel.resultReady

    def submit(self, requester: Hashable, ink: Ink | None = None, image: np.ndarray | None = None,
               numbers: bool = False, inside: InsideAsk | None = None) -> int:
        """Queue a snapshot for ``requester``, replacing only its own request still waiting; returns its id.
        ``numbers``: also read an ink of several digits digit by digit (the result's ``digits``);
        ``inside``: also look inside the model (the result's ``explanation``)."""
        state = self._requester(requester)
        request = RecognitionRequest(requester, next(self._ids), ink,
                                     None if image is None else np.array(image, copy=True), numbers=numbers,
                                     inside=inside)
        with self._lock:
            self._cancel_pending(state)
            state.pending = self._executor.submit(self._run, request)
        state.latest_id = request.id
        return request.id

    def withdraw(self, requester: Hashable) -> int:
        """``requester`` has nothing to recognise any more (its canvas is empty): cancel its waiting
        request and drop every result it asked for before. Returns the id that marks the withdrawal."""
        state = self._requester(requester)
        with self._lock:
            self._cancel_pending(state)
        state.latest_id = state.delivered_id = next(self._ids)
        return state.latest_id

    def _cancel_pending(self, state: _Requester) -> None:
        if state.pending is not None and state.pending.cancel():
            self.dropped += 1
        state.pending = None

    def latest_id(self, requester: Hashable) -> int:
        """The id of ``requester``'s newest request or withdrawal (0: it never asked)."""
        return self._requester(requester).latest_id

    def is_answered(self, requester: Hashable) -> bool:
        """True when ``requester`` was given the result of its newest request (or withdrew)."""
        state = self._requester(requester)
        return state.delivered_id >= state.latest_id

    def stale_dropped(self, requester: Hashable | None = None) -> int:
        """Results dropped as stale, for one requester or (None) for all."""
        states = self._requesters.values() if requester is None else [self._requester(requester)]
        return sum(s.stale_dropped for s in states)

    def _run(self, request: RecognitionRequest) -> None:
        rec = self._recognizer
        start = time.perf_counter()
        if rec is None:
            self._finished.emit(RecognitionResult(request.requester, request.id, None, 0.0, request.submitted,
                                                  "no model loaded"))
            return
        try:
            if request.ink is not None:
                recognition = rec.recognise_ink(request.ink, keep_stages=True)
            else:
                recognition = rec.recognise_image(request.image, keep_stages=True)
        except Exception as exc:  # a weird picture must not kill the worker
            self._finished.emit(RecognitionResult(request.requester, request.id, None, 0.0, request.submitted,
                                                  str(exc)))
            return
        digits = self._read_number(rec, request.ink) if request.numbers and request.ink is not None else ()
        explanation, note = (None, None)
        if request.inside is not None and not recognition.empty:
            explanation, note = self._explain(rec, recognition, request.inside)
        self.processed += 1
        self._finished.emit(RecognitionResult(request.requester, request.id, recognition,
                                              (time.perf_counter() - start) * 1000, request.submitted,
                                              digits=digits, explanation=explanation, inside_note=note))

    def _explain(self, rec, recognition, ask: InsideAsk):
        """On the worker thread; a model whose layers cannot be seen gets a note, not an error."""
        from ..ml.inside import explain
        from ..ml.numpy_forward import Unsupported

        latent = self._map[1] if self._map is not None and self._map[0] is rec else None
        try:
            return explain(rec, recognition.preprocessed.image, ask.layer, ask.target, latent), None
        except Unsupported as exc:
            return None, str(exc)
        except Exception as exc:  # noqa: BLE001 - looking inside must never cost the answer
            return None, f"cannot look inside this model ({type(exc).__name__}: {str(exc)[:200]})"

    # -- the map of MNIST test, built a chunk at a time between drawings ---------------------
    def prepare_map(self, mnist: str | None) -> Future:
        """The current model's map of MNIST test: from its cache, or built on the worker in chunks
        (``mapProgress``), drawings answered in between; then ``mapReady`` or ``mapFailed``."""
        return self._executor.submit(self._start_map, mnist)

    def _start_map(self, mnist: str | None) -> None:
        rec = self._recognizer
        if rec is None:
            return
        if self._map is not None and self._map[0] is rec:
            self.mapReady.emit(self._map[1])
            return
        if self._map_builder is not None and self._map_builder.rec is rec:
            return  # being built
        from ..core import mnist_data
        from ..ml import inside

        try:
            data = mnist_data.load(mnist, allow_download=False)
            print_ = inside.fingerprint(rec.path, data.x_test, data.y_test) if rec.path else ""
            cached = inside.read_cached(rec.path, print_) if rec.path else None
            if cached is not None:
                self._map = (rec, cached)
                self.mapReady.emit(cached)
                return
            self._map_builder = inside.MapBuilder(rec, data.x_test, data.y_test, print_)
        except (DigitPadError, inside.Unsupported) as exc:
            self.mapFailed.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - an odd model or MNIST file: no map, the app goes on
            self.mapFailed.emit(f"cannot map this model ({type(exc).__name__}: {str(exc)[:200]})")
            return
        self._next_map_step()

    def _next_map_step(self) -> None:
        try:
            self._executor.submit(self._map_step)
        except RuntimeError:  # shutting down
            self._map_builder = None

    def _map_step(self) -> None:
        builder = self._map_builder
        if builder is None or builder.rec is not self._recognizer:  # another model came: its map is asked anew
            self._map_builder = None
            return
        try:
            finished = builder.step()
            self.mapProgress.emit(builder.done, builder.total)
            if not finished:
                self._next_map_step()
                return
            latent = builder.result()
        except Exception as exc:  # noqa: BLE001
            self._map_builder = None
            self.mapFailed.emit(f"cannot map this model ({type(exc).__name__}: {str(exc)[:200]})")
            return
        from ..ml.inside import write_cache

        self._map, self._map_builder = (builder.rec, latent), None
        if builder.rec.path:
            write_cache(builder.rec.path, latent)
        self.mapReady.emit(latent)

    @staticmethod
    def _read_number(rec, ink: Ink) -> tuple:
        """On the worker thread: ``ink``'s digits read one by one when it holds two or more, else ``()``.
        A failure here costs the number mode only, never the answer for the drawing as a whole."""
        if sum(len(s) > 0 for s in ink.strokes) < 2 or not hasattr(rec, "predict"):  # cheap: one stroke, one digit
            return ()
        try:
            from ..core.number_reading import read_digits
            from ..core.recognition import Predictions
            from ..ml.numpy_recognizer import FEW

            def joined(parts, name):
                return None if getattr(parts[0], name) is None else np.concatenate([getattr(p, name) for p in parts])

            def predict(images: np.ndarray) -> Predictions:
                # a handful at a time: a longer call counts as a batch job, which may be handed to TensorFlow
                parts = [rec.predict(images[i:i + FEW]) for i in range(0, len(images), FEW)]
                return parts[0] if len(parts) == 1 else Predictions(
                    *(joined(parts, n) for n in ("probabilities", "reconstructions", "reconstruction_errors",
                                                 "digit_likeness")))

            return read_digits(ink, predict, rec.info.preprocessing)
        except Exception:  # noqa: BLE001 - a drawing the splitter chokes on is still read as a whole
            import logging

            logging.getLogger(__name__).warning("reading the drawing as a number failed", exc_info=True)
            return ()

    @Slot(object)
    def _deliver(self, result: RecognitionResult) -> None:
        """On the GUI thread: hand ``result`` to its requester unless something newer came since.

        Stale means no newer than the result the requester was last given, or older than its
        withdrawal. A result older than a request still waiting is delivered: while a stroke is
        drawn, the answer for the ink of a moment ago beats no answer until the pen stops.
        """
        state = self._requester(result.requester)
        if result.request_id <= state.delivered_id:
            state.stale_dropped += 1
            return
        state.delivered_id = result.request_id
        state.channel.resultReady.emit(result)

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
            for state in self._requesters.values():
                if state.pending is not None:
                    state.pending.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)
