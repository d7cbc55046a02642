"""Live recognition under a stream of pointer events: 100 mouse moves per second for 10 s.

Measures, for every chart update, the time from the latest stroke event it reflects to the
chart being updated (p50, p95), and counts requests processed vs dropped (replaced while
waiting) to show that no backlog builds up. Baseline in the same run: the recognition time
alone inside the worker.

``--busy INKS.jsonl`` keeps the worker reading those inks, as the Samples window asks for its
marks, over and over while the digit is drawn: what drawing feels like while that runs.
``--chunk`` sets how many it reads per step (the app's EVALUATION_CHUNK by default).

    QT_QPA_PLATFORM=offscreen python bench/gui_latency.py [--seconds 10] [--rate 100] [--busy F [--chunk N]]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--busy", type=Path, help="ink JSON Lines the worker reads in the background meanwhile")
    ap.add_argument("--chunk", type=int, help="inputs per step of that background reading")
    args = ap.parse_args()

    from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from app_window import open_main_window

    app, w = open_main_window(1100, 680)
    canvas = w.canvas
    batches = []  # seconds per background batch
    if args.busy:
        keep_busy(w.worker, args.busy, args.chunk, batches)
    sent_at: dict[int, float] = {}  # request id -> when its pointer event was sent
    latencies, worker_ms, shown_at = [], [], []

    def on_shown(result):
        if result.request_id not in sent_at:  # the final release, sent outside the timed stream
            return
        shown_at.append(time.perf_counter())
        latencies.append((shown_at[-1] - sent_at[result.request_id]) * 1000)
        worker_ms.append(result.latency_ms)

    w.resultShown.connect(on_shown)
    n_events = int(args.seconds * args.rate)
    cx, cy, r = canvas.width() / 2, canvas.height() / 2, min(canvas.width(), canvas.height()) * 0.3
    state = {"i": 0, "pressed": False}

    def send(kind, x, y, button, buttons):
        pos = QPointF(x, y)
        QApplication.sendEvent(canvas, QMouseEvent(kind, pos, pos, button, buttons, Qt.NoModifier))

    def tick():
        i = state["i"]
        if i >= n_events:
            timer.stop()
            send(QEvent.MouseButtonRelease, cx, cy, Qt.LeftButton, Qt.NoButton)
            QTimer.singleShot(500, app.quit)
            return
        # a new stroke every 2 s (clear, so the ink stays a digit-sized drawing)
        if i % int(2 * args.rate) == 0:
            if state["pressed"]:
                send(QEvent.MouseButtonRelease, cx, cy, Qt.LeftButton, Qt.NoButton)
            canvas.clear()
        t = i / args.rate * 3.0
        x, y = cx + r * np.sin(t), cy + r * np.sin(2 * t) * 0.8
        before = w._latest_id
        if i % int(2 * args.rate) == 0:
            send(QEvent.MouseButtonPress, x, y, Qt.LeftButton, Qt.LeftButton)
            state["pressed"] = True
        else:
            send(QEvent.MouseMove, x, y, Qt.NoButton, Qt.LeftButton)
        if w._latest_id != before:
            sent_at[w._latest_id] = time.perf_counter()
        state["i"] = i + 1

    timer = QTimer()
    timer.setTimerType(Qt.PreciseTimer)
    timer.timeout.connect(tick)
    timer.start(int(1000 / args.rate))
    app.exec()
    submitted = len(sent_at)
    gaps = np.diff(shown_at) * 1000
    out = {"events": n_events, "requests_submitted": submitted, "processed": w.worker.processed,
           "dropped_while_waiting": w.worker.dropped, "stale_results_dropped": w.stale_dropped,
           "chart_updates": len(latencies),
           "event_to_chart_ms": {"p50": round(statistics.median(latencies), 2),
                                 "p95": round(float(np.percentile(latencies, 95)), 2),
                                 "max": round(max(latencies), 2)},
           # how stale the chart gets while the pen moves: the time between two updates
           "between_chart_updates_ms": {"p50": round(float(np.median(gaps)), 2),
                                        "p95": round(float(np.percentile(gaps, 95)), 2),
                                        "max": round(float(gaps.max()), 2)},
           "baseline_worker_recognition_ms": {"p50": round(statistics.median(worker_ms), 2),
                                              "p95": round(float(np.percentile(worker_ms, 95)), 2)}}
    if args.busy:
        import digitpad.gui.worker as worker_module

        out["busy"] = {"inks": str(args.busy), "chunk": worker_module.EVALUATION_CHUNK,
                       "batches_done": len(batches), "batch_s": [round(b, 2) for b in batches]}
    print(json.dumps(out, indent=2))
    w.close()


def keep_busy(worker, inks: Path, chunk: int | None, batches: list) -> None:
    """Store ``inks`` as samples and have ``worker`` read them all, again each time it is done."""
    import tempfile

    import digitpad.gui.worker as worker_module
    from digitpad.core.labelled_sets import load_labelled
    from digitpad.core.sample_store import Sample, SampleStore

    if chunk:
        worker_module.EVALUATION_CHUNK = chunk
    data = load_labelled(inks)
    path = Path(tempfile.mkdtemp()) / "busy.sqlite"
    with SampleStore(path) as store:
        store.add_many(Sample(label=int(label), image=image, ink=ink)
                       for label, image, ink in zip(data.labels, data.images, data.inks))
        ids = [s.id for s in store.samples(with_ink=False)]

    def again(started=None):
        if started is not None:
            batches.append(time.perf_counter() - started)
        t = time.perf_counter()
        try:
            worker.predict_batch(ids, data.images, path).add_done_callback(lambda _f: again(t))
        except RuntimeError:  # the worker has shut down
            pass

    again()


if __name__ == "__main__":
    main()
