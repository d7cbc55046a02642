"""The recognition worker keeps its requesters apart: a fake recogniser, two requesters, no window.

Copies napari's ``test_layer_slicer.py`` idea (block the worker, submit three times, the middle
request never runs) with a second requester whose request must survive, and checks that a
result reaches only its requester and only while it is fresh. No window, no shipped model, no
TensorFlow: the recogniser is a fake handed to the worker with ``use_recognizer``.
"""
from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np
import pytest

from digitpad.core.ink import Ink
from digitpad.gui.worker import RecognitionResult, RecognitionWorker


def ink(name: str) -> Ink:
    """A small drawing that the fake recogniser can tell apart by name."""
    return Ink(280.0, 280.0, (np.array([[10.0, 10.0], [60.0, 80.0]]),), extra={"name": name})


class FakeRecognizer:
    """Answers at once with a canned answer, or waits for ``gate`` when one is set."""

    def __init__(self):
        self.ran: list[str] = []  # names of the drawings recognised, in order
        self.started = threading.Event()
        self.gate: threading.Event | None = None

    def recognise_ink(self, ink, keep_stages=False):
        self.ran.append(ink.extra["name"])
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        return SimpleNamespace(name=ink.extra["name"], digit=2, confidence=0.971, empty=False)

    info = SimpleNamespace(preprocessing=SimpleNamespace(ink_widths=(0.14,)))

    def recognise_like(self, other, ink_widths):
        """The other model's reading of the same drawing, finished this model's way."""
        self.ran.append(other.name)
        return SimpleNamespace(name=other.name, digit=2, confidence=0.93, empty=False)

    def recognise_image(self, image, keep_stages=False):
        self.ran.append("image")
        return SimpleNamespace(name="image", digit=int(image.mean() > 0.5), confidence=0.9, empty=False)


@pytest.fixture
def worker(qtbot):
    w = RecognitionWorker()
    yield w
    w.shutdown()


@pytest.fixture
def fake(worker):
    rec = FakeRecognizer()
    worker.use_recognizer(rec).result(timeout=5)
    return rec


def received(worker, requester) -> list[RecognitionResult]:
    """Every result the worker hands to ``requester``, as it arrives."""
    got: list[RecognitionResult] = []
    worker.results(requester).connect(got.append)
    return got


def test_submit_cancels_only_the_same_requesters_pending_request(qtbot, worker, fake):
    """napari's test_submit_multiple_calls_cancels_pending, with a second requester in between."""
    main, collect = received(worker, "main"), received(worker, "collect")
    gate, started = threading.Event(), threading.Event()
    worker.call_on_worker(lambda: (started.set(), gate.wait(10)))  # hold the worker thread
    assert started.wait(5)

    first = worker.submit("main", ink=ink("main 1"))
    other = worker.submit("collect", ink=ink("collect 1"))
    worker.submit("main", ink=ink("main 2"))
    last = worker.submit("main", ink=ink("main 3"))
    gate.set()

    qtbot.waitUntil(lambda: worker.is_answered("main") and worker.is_answered("collect"), timeout=5000)
    assert fake.ran == ["collect 1", "main 3"]  # main's first two never ran; collect's survived them
    assert worker.dropped == 2
    assert [r.request_id for r in main] == [last] and [r.recognition.name for r in main] == ["main 3"]
    assert [r.request_id for r in collect] == [other] and collect[0].requester == "collect"
    assert first < other < last


def test_a_result_never_reaches_another_requester(qtbot, worker, fake):
    """The leak of issue 14: the Collect window's newer request must not show in the main window."""
    main, collect = received(worker, "main"), received(worker, "collect")
    worker.submit("main", ink=ink("main"))
    qtbot.waitUntil(lambda: worker.is_answered("main"), timeout=5000)
    worker.withdraw("main")  # the main canvas is cleared: it expects nothing more

    for k in range(3):  # a 2 drawn in the Collect window, every id newer than the main window's
        with qtbot.waitSignal(worker.results("collect"), timeout=5000):
            worker.submit("collect", ink=ink(f"collect {k}"))

    assert [r.recognition.name for r in main] == ["main"]
    assert [r.recognition.name for r in collect] == ["collect 0", "collect 1", "collect 2"]
    assert all(r.requester == "collect" for r in collect)
    assert worker.stale_dropped() == 0  # kept apart, not dropped: nobody else even saw them


def test_a_result_from_before_the_requester_withdrew_is_dropped(qtbot, worker, fake):
    """The canvas is cleared while its drawing is being recognised: the late answer is not shown."""
    main, collect = received(worker, "main"), received(worker, "collect")
    fake.gate = threading.Event()
    worker.submit("main", ink=ink("main, then cleared"))
    assert fake.started.wait(5)
    worker.submit("collect", ink=ink("collect"))
    worker.withdraw("main")
    assert worker.is_answered("main")  # nothing left to wait for
    fake.gate.set()

    qtbot.waitUntil(lambda: worker.is_answered("collect"), timeout=5000)
    qtbot.wait(50)  # the main result, queued before collect's, has been through the check by now
    assert fake.ran == ["main, then cleared", "collect"]
    assert main == [] and worker.stale_dropped("main") == 1
    assert [r.recognition.name for r in collect] == ["collect"] and worker.stale_dropped("collect") == 0


def test_a_result_older_than_the_one_given_is_dropped(qtbot, worker, fake):
    main = received(worker, "main")
    with qtbot.waitSignal(worker.results("main"), timeout=5000) as blocker:
        shown = worker.submit("main", ink=ink("main"))
    late = RecognitionResult("main", shown - 1, blocker.args[0].recognition, 1.0, blocker.args[0].submitted)
    worker._deliver(late)  # what the worker thread hands over, out of order
    worker._deliver(blocker.args[0])  # and the same one twice
    assert [r.request_id for r in main] == [shown]
    assert worker.stale_dropped("main") == 2


def test_while_a_stroke_is_drawn_the_answer_of_a_moment_ago_is_shown(qtbot, worker, fake):
    """A result older than a request still waiting is newer than what is shown: deliver it, then the next."""
    main = received(worker, "main")
    fake.gate = threading.Event()
    running = worker.submit("main", ink=ink("stroke so far"))
    assert fake.started.wait(5)
    waiting = worker.submit("main", ink=ink("stroke a bit longer"))
    fake.gate.set()
    qtbot.waitUntil(lambda: worker.is_answered("main"), timeout=5000)
    assert [r.request_id for r in main] == [running, waiting]


def test_images_and_failures_go_to_their_requester(qtbot, worker, fake):
    main, collect = received(worker, "main"), received(worker, "collect")
    with qtbot.waitSignal(worker.results("main"), timeout=5000):
        worker.submit("main", image=np.ones((28, 28), np.float32))
    worker.use_recognizer(None)  # no model: an error result, still only for its requester
    with qtbot.waitSignal(worker.results("collect"), timeout=5000):
        worker.submit("collect", ink=ink("collect"))
    assert [r.recognition.name for r in main] == ["image"]
    assert collect[0].recognition is None and collect[0].error == "no model loaded"


def test_the_compared_model_answers_the_same_snapshot_in_the_same_turn(qtbot, worker, fake):
    """Compare Models: the window's request and the compared model's, for one snapshot, are
    answered back to back and handed over together; another snapshot is not taken along."""
    second = FakeRecognizer()
    worker.call_on_worker(setattr, worker, "_second", second).result(timeout=5)
    main, compared = received(worker, "main"), received(worker, "compared")
    gate, started = threading.Event(), threading.Event()
    worker.call_on_worker(lambda: (started.set(), gate.wait(10)))
    assert started.wait(5)
    drawing = ink("seven")
    first = worker.submit("main", ink=drawing)
    other = worker.submit("compared", ink=drawing, second=True)
    unrelated = worker.submit("collect", ink=ink("collect"))
    gate.set()
    qtbot.waitUntil(lambda: worker.is_answered("main") and worker.is_answered("compared")
                    and worker.is_answered("collect"), timeout=5000)
    assert fake.ran == ["seven", "collect"] and second.ran == ["seven"]
    assert [r.request_id for r in main] == [first] and [r.request_id for r in compared] == [other]
    assert worker.dropped == 0  # taken along, not dropped
    assert first < other < unrelated


# -- the Samples view's batch: a chunk at a time, cancelled by the next, failures said once ----------
@pytest.fixture
def chunked(monkeypatch, worker, fake):
    """Batches of 5; ``read`` records each chunk the worker reads, and answers 7 for each."""
    import digitpad.gui.worker as module

    monkeypatch.setattr(module, "EVALUATION_CHUNK", 5)
    read: list[list[int]] = []

    def read_samples(rec, ids, images, store):
        read.append(list(ids))
        return np.full(len(ids), 7)

    monkeypatch.setattr(RecognitionWorker, "_read_samples", staticmethod(read_samples))
    return read


def test_a_batch_is_read_a_chunk_at_a_time_and_other_work_runs_between_chunks(qtbot, worker, chunked):
    got, order = [], []
    worker.batchPredicted.connect(lambda ids, digits: got.append((ids, digits)))
    gate = threading.Event()
    worker.call_on_worker(gate.wait, 5)  # hold the worker while the jobs queue up
    done = worker.predict_batch(list(range(12)), np.zeros((12, 28, 28), np.uint8))
    worker.call_on_worker(lambda: order.append(len(chunked)))  # e.g. a drawing, asked during the batch
    gate.set()
    done.result(timeout=5)
    assert chunked == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]
    assert order == [1]  # run after the first chunk, not after the whole batch
    qtbot.waitUntil(lambda: len(got) == 3, timeout=5000)
    assert [i for ids, _ in got for i in ids] == list(range(12)) and all(d == [7] * len(i) for i, d in got)


def test_a_new_batch_cancels_the_one_running(qtbot, worker, chunked):
    gate = threading.Event()
    worker.call_on_worker(gate.wait, 5)
    first = worker.predict_batch(list(range(12)), np.zeros((12, 28, 28), np.uint8))
    second = worker.predict_batch([100, 101], np.zeros((2, 28, 28), np.uint8))
    gate.set()
    first.result(timeout=5), second.result(timeout=5)
    assert chunked == [[100, 101]]


def test_a_batch_that_fails_says_so_once_with_the_ids_left(qtbot, worker, chunked, monkeypatch):
    calls = []

    def read_samples(rec, ids, images, store):
        calls.append(list(ids))
        if len(calls) == 2:
            raise ValueError("a sample the model chokes on")
        return np.full(len(ids), 3)

    monkeypatch.setattr(RecognitionWorker, "_read_samples", staticmethod(read_samples))
    got, failed = [], []
    worker.batchPredicted.connect(lambda ids, digits: got.append(ids))
    worker.batchFailed.connect(lambda ids, message: failed.append((ids, message)))
    worker.predict_batch(list(range(12)), np.zeros((12, 28, 28), np.uint8)).result(timeout=5)
    qtbot.waitUntil(lambda: bool(failed), timeout=5000)
    assert got == [[0, 1, 2, 3, 4]] and len(calls) == 2
    assert failed == [(list(range(5, 12)), "cannot read these samples (ValueError: a sample the model chokes on)")]
