"""Live recognition under a stream of pointer events: 100 mouse moves per second for 10 s.

Measures, for every chart update, the time from the latest stroke event it reflects to the
chart being updated (p50, p95), and counts requests processed vs dropped (replaced while
waiting) to show that no backlog builds up. Baseline in the same run: the recognition time
alone inside the worker.

    QT_QPA_PLATFORM=offscreen python bench/gui_latency.py [--seconds 10] [--rate 100]
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
    args = ap.parse_args()

    from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from app_window import open_main_window

    app, w = open_main_window(1100, 680)
    canvas = w.canvas
    sent_at: dict[int, float] = {}  # request id -> when its pointer event was sent
    latencies, worker_ms = [], []

    def on_shown(result):
        if result.request_id not in sent_at:  # the final release, sent outside the timed stream
            return
        latencies.append((time.perf_counter() - sent_at[result.request_id]) * 1000)
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
    out = {"events": n_events, "requests_submitted": submitted, "processed": w.worker.processed,
           "dropped_while_waiting": w.worker.dropped, "stale_results_dropped": w.stale_dropped,
           "chart_updates": len(latencies),
           "event_to_chart_ms": {"p50": round(statistics.median(latencies), 2),
                                 "p95": round(float(np.percentile(latencies, 95)), 2),
                                 "max": round(max(latencies), 2)},
           "baseline_worker_recognition_ms": {"p50": round(statistics.median(worker_ms), 2),
                                              "p95": round(float(np.percentile(worker_ms, 95)), 2)}}
    print(json.dumps(out, indent=2))
    w.close()


if __name__ == "__main__":
    main()
