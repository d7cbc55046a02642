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
    saliency: bool = True  # False while the pen is down: the saliency (dozens of passes) waits for it to lift


@dataclass(frozen=True)
class RecognitionRequest:
    requester: Hashable
    id: int
    ink: Ink | None = None
    image: np.ndarray | None = None
    submitted: float = field(default_factory=time.perf_counter)
    numbers: bool = False  # also read the ink as a number, digit by digit (the main window's number mode)
    inside: InsideAsk | None = None  # also look inside the model (the Inside panel)
    second: bool = False  # with the model compared with (Model > Compare With…), not the current one


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


def _failure(what: str, exc: Exception) -> str:
    """One line for an unexpected error on the worker: the app goes on."""
    return f"{what} ({type(exc).__name__}: {str(exc)[:200]})"


@dataclass
class Evaluation:
    """The current model's (and the compared model's) readings of a labelled set, for the report view."""
    source: str
    labels: np.ndarray
    names: list[str]  # the models, current first
    predictions: list[np.ndarray] = field(default_factory=list)  # per model; -1 for a blank input
    images: np.ndarray | None = None  # (N, 28, 28) uint8: what the current model was given (thumbnails)
    id: int = 0  # the job's, as RecognitionWorker.evaluate returned it
    ids: np.ndarray | None = None  # the set's own ids of its digits (a sample store's), if it has them


#: Inputs per step of an evaluation (or of the Samples view's batch) on the worker: drawings are
#: answered between steps, so a step stays under ~80 ms for ink read at two widths.
EVALUATION_CHUNK = 50


class _ResultChannel(QObject):
    resultReady = Signal(object)  # RecognitionResult, fresh, for this requester only


@dataclass
class _Requester:
    """One requester's line to the worker, kept on the GUI thread; ``pending`` and ``request``
    are also read by the worker thread (``_companions``), under the worker's lock."""
    channel: _ResultChannel
    pending: Future | None = None  # its request still waiting, the one a new submit replaces
    request: RecognitionRequest | None = None  # that request
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
    batchPredicted = Signal(object, object)  # ids, predicted digits (a chunk of a batch)
    batchFailed = Signal(object, str)  # ids left unread, message
    mapProgress = Signal(int, int)  # MNIST test digits placed, of
    mapReady = Signal(object)  # ml.inside.LatentMap for the current model
    mapFailed = Signal(str)
    secondLoaded = Signal(object)  # ModelSummary of the model compared with
    secondFailed = Signal(str, str)  # path, message
    evaluationProgress = Signal(int, int, int)  # job id, pictures read, of
    evaluationDone = Signal(object)  # Evaluation (its id is the job's)
    evaluationFailed = Signal(int, str)  # job id, message

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digitpad-recognizer")
        self._lock = threading.Lock()
        self._requesters: dict[Hashable, _Requester] = {}
        self._ids = itertools.count(1)
        self._recognizer = None  # touched only on the worker thread
        self._second = None  # the model compared with, if any (worker thread only)
        self._evaluation_cancel: threading.Event | None = None  # the running evaluation's
        self._batch_cancel: threading.Event | None = None  # the running sample batch's
        self._recent = (None, None, None)  # (ink snapshot, recogniser, its recognition): the last one read
        self._map = None  # (recogniser, LatentMap): the map of MNIST test for that model
        self._map_builder = None  # ml.inside.MapBuilder while a map is being built
        self._map_stepping = False  # a step of it is queued (worker thread only)
        self._map_paused = False  # the Inside panel is hidden: no more steps (set from the GUI thread)
        self.processed = 0
        self.dropped = 0  # requests replaced while waiting
        self._finished.connect(self._deliver, Qt.QueuedConnection)

    # -- model ---------------------------------------------------------------------------
    def load_second(self, path: str | Path, trust: bool = False) -> Future:
        """Open a second model to compare with; the current one stays."""
        return self._executor.submit(self._load, str(path), trust, True)

    def drop_second(self) -> Future:
        return self._executor.submit(setattr, self, "_second", None)

    def load_model(self, path: str | Path, trust: bool = False) -> Future:
        """``trust``: the user agreed to open a SavedModel folder (it runs the program stored in it)."""
        path = str(path)
        self.modelLoading.emit(path)
        return self._executor.submit(self._load, path, trust)

    def _load(self, path: str, trust: bool = False, second: bool = False) -> None:
        start = time.perf_counter()
        failed = self.secondFailed if second else self.modelFailed
        try:
            # off the GUI thread; a plain .keras file runs in numpy, anything else imports TensorFlow here
            from ..ml.numpy_recognizer import load_recognizer

            rec = load_recognizer(path, trust=trust)
        except DigitPadError as exc:
            failed.emit(path, str(exc))
            return
        except Exception as exc:  # anything else a foreign file provokes: still one clear message
            failed.emit(path, f"{path}: cannot use this model ({type(exc).__name__}: {exc})")
            return
        summary = ModelSummary(path, rec.name, rec.describe(), rec.info, rec.has_reconstruction,
                               (time.perf_counter() - start) * 1000, rec.has_digit_likeness)
        if second:
            self._second = rec
            self.secondLoaded.emit(summary)
        else:
            self._recognizer = rec
            self.modelLoaded.emit(summary)

    def use_recognizer(self, recognizer) -> Future:
        """Recognise with an object already built (tests pass a fake with ``recognise_ink``/``recognise_image``,
        and, when a second model answers too, ``info.preprocessing.ink_widths`` and ``recognise_like``)."""
        return self._executor.submit(setattr, self, "_recognizer", recognizer)

    # -- recognition -----------------------------------------------------------------------
    def _requester(self, key: Hashable) -> _Requester:
        state = self._requesters.get(key)
        if state is None:
            with self._lock:  # the worker thread looks through the requesters (_companions)
                state = self._requesters.setdefault(key, _Requester(_ResultChannel(self)))
        return state

    def results(self, requester: Hashable) -> SignalInstance:
        """The signal that carries ``requester``'s fresh results (a RecognitionResult), on the GUI thread."""
        return self._requester(requester).channel.resultReady

    def submit(self, requester: Hashable, ink: Ink | None = None, image: np.ndarray | None = None,
               numbers: bool = False, inside: InsideAsk | None = None, second: bool = False) -> int:
        """Queue a snapshot for ``requester``, replacing only its own request still waiting; returns its id.
        ``numbers``: also read an ink of several digits digit by digit (the result's ``digits``);
        ``inside``: also look inside the model (the result's ``explanation``)."""
        state = self._requester(requester)
        request = RecognitionRequest(requester, next(self._ids), ink,
                                     None if image is None else np.array(image, copy=True), numbers=numbers,
                                     inside=inside, second=second)
        with self._lock:
            self._cancel_pending(state)
            state.pending = self._executor.submit(self._run, request)
            state.request = request
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
        # The compared model's request for the same snapshot, still waiting, is answered now too and
        # both answers are handed over together: the window then draws both while the worker is
        # idle, rather than drawing one while the other is computed (both need the interpreter).
        # The window's request goes first: its stages are kept, and the other model, when it draws
        # inks at the same width, starts from its centred picture instead of drawing the ink again.
        answers: list[RecognitionResult] = []
        for r in sorted([request, *self._companions(request)], key=lambda r: r.second):
            answers.append(self._answer(r, answers[0] if answers else None))
        for result in sorted(answers, key=lambda r: r.request_id):
            self._finished.emit(result)

    def _companions(self, request: RecognitionRequest) -> list[RecognitionRequest]:
        """Waiting answer requests for ``request``'s very snapshot by the other model (the window's
        and the compared model's, whichever runs first takes the other), taken off the queue."""
        if request.ink is None or request.inside is not None:
            return []
        taken = []
        with self._lock:
            for state in list(self._requesters.values()):
                other = state.request
                if (other is not None and other.second != request.second and other.inside is None
                        and other.ink is request.ink and state.pending is not None and state.pending.cancel()):
                    state.pending = None
                    taken.append(other)
        return taken

    def _answer(self, request: RecognitionRequest, sibling: RecognitionResult | None = None) -> RecognitionResult:
        """``sibling``: the other model's answer to the same snapshot, just computed."""
        rec = self._second if request.second else self._recognizer
        start = time.perf_counter()
        if rec is None:
            return RecognitionResult(request.requester, request.id, None, 0.0, request.submitted, "no model loaded")
        try:
            recent = self._recent
            shared = None
            if (request.second and sibling is not None and sibling.recognition is not None
                    and self._recognizer is not None):
                shared = rec.recognise_like(sibling.recognition, self._recognizer.info.preprocessing.ink_widths)
            if shared is not None:
                recognition = shared
            elif request.ink is not None and recent[0] is request.ink and recent[1] is rec:
                recognition = recent[2]  # the same snapshot, asked by two requesters (the chart and Inside)
            elif request.ink is not None:  # the compared model's stages are not shown: not kept
                recognition = rec.recognise_ink(request.ink, keep_stages=not request.second)
                if not request.second:  # the window's answer, which the Inside panel asks again
                    self._recent = (request.ink, rec, recognition)
            else:
                recognition = rec.recognise_image(request.image, keep_stages=not request.second)
        except Exception as exc:  # a weird picture must not kill the worker
            return RecognitionResult(request.requester, request.id, None, 0.0, request.submitted, str(exc))
        digits = self._read_number(rec, request.ink) if request.numbers and request.ink is not None else ()
        explanation, note = (None, None)
        if request.inside is not None and not recognition.empty:
            explanation, note = self._explain(rec, recognition, request.inside)
        self.processed += 1
        return RecognitionResult(request.requester, request.id, recognition, (time.perf_counter() - start) * 1000,
                                 request.submitted, digits=digits, explanation=explanation, inside_note=note)

    def _explain(self, rec, recognition, ask: InsideAsk):
        """On the worker thread; a model whose layers cannot be seen gets a note, not an error."""
        from ..ml.inside import explain
        from ..ml.numpy_forward import Unsupported

        latent = self._map[1] if self._map is not None and self._map[0] is rec else None
        try:
            return explain(rec, recognition.preprocessed.image, ask.layer, ask.target, latent, ask.saliency,
                           answer=recognition.digit), None
        except Unsupported as exc:
            return None, str(exc)
        except Exception as exc:  # noqa: BLE001 - looking inside must never cost the answer
            return None, _failure("cannot look inside this model", exc)

    # -- the map of MNIST test, built a chunk at a time between drawings ---------------------
    def prepare_map(self, mnist: str | None) -> Future:
        """The current model's map of MNIST test: from its cache, or built on the worker in chunks
        (``mapProgress``), drawings answered in between; then ``mapReady`` or ``mapFailed``.
        A build paused by :meth:`pause_map` goes on from where it was."""
        self._map_paused = False
        return self._executor.submit(self._start_map, mnist)

    def pause_map(self) -> None:
        """The panel was hidden: build no further until the map is asked again."""
        self._map_paused = True

    def _start_map(self, mnist: str | None) -> None:
        rec = self._recognizer
        if rec is None:
            return
        if self._map is not None and self._map[0] is rec:
            self.mapReady.emit(self._map[1])
            return
        if self._map_builder is not None and self._map_builder.rec is rec:
            if not self._map_stepping:  # paused: go on
                self._next_map_step()
            return
        from ..ml import inside

        try:
            found = inside.cached_or_builder(rec, mnist)
            if isinstance(found, inside.LatentMap):
                self._map = (rec, found)
                self.mapReady.emit(found)
                return
            self._map_builder = found
        except (DigitPadError, inside.Unsupported) as exc:
            self.mapFailed.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - an odd model or MNIST file: no map, the app goes on
            self.mapFailed.emit(_failure("cannot map this model", exc))
            return
        self._next_map_step()

    def _next_map_step(self) -> None:
        try:
            self._executor.submit(self._map_step)
            self._map_stepping = True
        except RuntimeError:  # shutting down
            self._map_builder = None

    def _map_step(self) -> None:
        self._map_stepping = False
        builder = self._map_builder
        if builder is None or builder.rec is not self._recognizer:  # another model came: its map is asked anew
            self._map_builder = None
            return
        if self._map_paused:  # kept as far as it got
            return
        try:
            finished = builder.step()
            self.mapProgress.emit(builder.done, builder.total)
            if not finished:
                self._next_map_step()
                return
            latent = builder.result()  # and cached beside the model
        except Exception as exc:  # noqa: BLE001
            self._map_builder = None
            self.mapFailed.emit(_failure("cannot map this model", exc))
            return
        self._map, self._map_builder = (builder.rec, latent), None
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

            def predict(images: np.ndarray) -> Predictions:
                # a handful at a time: a longer call counts as a batch job, which may be handed to TensorFlow
                return Predictions.joined([rec.predict(images[i:i + FEW]) for i in range(0, len(images), FEW)])

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

    # -- evaluating on a labelled set, a chunk at a time ------------------------------------
    def evaluate(self, load, compare: bool = False) -> int:
        """Read the set ``load()`` returns (a LabelledSet; called on the worker) with the current
        model, and with the compared one too if ``compare``; ``evaluationProgress`` per chunk, then
        ``evaluationDone`` (an :class:`Evaluation`) or ``evaluationFailed``, each with the job's id
        (returned here). A new evaluation cancels the one running: its chunks stop, and nothing
        more of it is said."""
        self.cancel_evaluation()
        job_id, cancel = next(self._ids), threading.Event()
        self._evaluation_cancel = cancel
        self._executor.submit(self._start_evaluation, job_id, load, compare, cancel)
        return job_id

    def cancel_evaluation(self) -> None:
        if self._evaluation_cancel is not None:
            self._evaluation_cancel.set()

    def _start_evaluation(self, job_id: int, load, compare: bool, cancel: threading.Event) -> None:
        if cancel.is_set():
            return
        models = [m for m in (self._recognizer, self._second if compare else None) if m is not None]
        if not models or (compare and len(models) < 2):
            self.evaluationFailed.emit(job_id, "no model loaded" if not models else "no model to compare with")
            return
        try:
            data = load()
        except DigitPadError as exc:
            self.evaluationFailed.emit(job_id, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a foreign file: one line, the app goes on
            self.evaluationFailed.emit(job_id, _failure("cannot read this set", exc))
            return
        if len(data.labels) == 0:
            self.evaluationFailed.emit(job_id, f"{data.source}: no labelled digits in it")
            return
        n = len(data.labels)
        job = Evaluation(data.source, np.asarray(data.labels), [m.name for m in models],
                         [np.full(n, -1, np.int64) for _ in models], np.zeros((n, 28, 28), np.uint8), job_id,
                         data.ids)
        self._evaluation_step(job, data, models, cancel, 0)

    def _evaluation_step(self, job: Evaluation, data, models: list, cancel: threading.Event, start: int) -> None:
        """One chunk of ``job``; each step is handed its own job, so a cancelled one never writes
        into the next."""
        if cancel.is_set():
            return
        from dataclasses import replace

        from ..core.preprocess import main_drawings
        from ..ml.evaluation import model_inputs, read_inputs

        stop = min(start + EVALUATION_CHUNK, len(job.labels))
        part = replace(data, images=data.images[start:stop], labels=data.labels[start:stop], names=None,
                       inks=None if data.inks is None else data.inks[start:stop], ids=None)
        try:
            for i, rec in enumerate(models):
                x, blank = model_inputs(rec, part)
                job.predictions[i][start:stop] = read_inputs(rec, x, blank, live=True)
                if i == 0:
                    job.images[start:stop] = np.round(np.clip(main_drawings(x), 0, 1) * 255).astype(np.uint8)
        except Exception as exc:  # noqa: BLE001
            self.evaluationFailed.emit(job.id, _failure("cannot read this set", exc))
            return
        if cancel.is_set():
            return
        self.evaluationProgress.emit(job.id, stop, len(job.labels))
        if stop >= len(job.labels):
            self.evaluationDone.emit(job)
            return
        try:
            self._executor.submit(self._evaluation_step, job, data, models, cancel, stop)
        except RuntimeError:  # shutting down
            pass

    def predict_batch(self, ids, images: np.ndarray, store=None) -> Future:
        """Read many stored samples with the current model (the Samples view), a chunk at a time so
        that drawings are answered between chunks: ``batchPredicted`` per chunk, or once
        ``batchFailed`` with the ids left unread. A sample's ink, from the store at ``store``, is
        drawn as ``evaluate`` draws it, else its stored 28x28 picture is read. A new batch cancels
        the one running (the view asks again for what it still lacks). The Future is done when
        the batch is."""
        if self._batch_cancel is not None:
            self._batch_cancel.set()
        cancel = self._batch_cancel = threading.Event()
        done: Future = Future()
        self._executor.submit(self._batch_step, list(ids), np.asarray(images), store, cancel, done, 0)
        return done

    def _batch_step(self, ids: list, images: np.ndarray, store, cancel: threading.Event, done: Future,
                    start: int) -> None:
        rec = self._recognizer
        if cancel.is_set() or rec is None or start >= len(ids):
            done.set_result(None)
            return
        stop = min(start + EVALUATION_CHUNK, len(ids))
        try:
            digits = self._read_samples(rec, ids[start:stop], images[start:stop], store)
        except Exception as exc:  # noqa: BLE001 - said once; the view does not ask again for these
            import logging

            logging.getLogger(__name__).warning("reading stored samples failed", exc_info=True)
            self.batchFailed.emit(ids[start:], _failure("cannot read these samples", exc))
            done.set_result(None)
            return
        self.batchPredicted.emit(ids[start:stop], digits.tolist())
        try:
            self._executor.submit(self._batch_step, ids, images, store, cancel, done, stop)
        except RuntimeError:  # shutting down
            done.set_result(None)

    @staticmethod
    def _read_samples(rec, ids: list, images: np.ndarray, store) -> np.ndarray:
        from ..core.labelled_sets import LabelledSet
        from ..core.sample_store import SampleStore
        from ..ml.evaluation import model_inputs, read_inputs

        inks = None
        # A store deleted since must not be re-created empty by opening it: its pictures still say something.
        if store is not None and Path(store).is_file():
            try:
                with SampleStore(store) as opened:
                    inks = opened.inks(ids)
            except DigitPadError:  # a store gone bad since
                inks = None
        data = LabelledSet(images, np.zeros(len(images), np.int64), "samples",
                           inks=None if inks is None or all(i is None for i in inks) else inks)
        return read_inputs(rec, *model_inputs(rec, data), live=True)

    def call_on_worker(self, fn, *args) -> Future:
        """Run ``fn`` on the worker thread (tests use it to block the worker)."""
        return self._executor.submit(fn, *args)

    def shutdown(self) -> None:
        with self._lock:
            for state in self._requesters.values():
                if state.pending is not None:
                    state.pending.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)
