"""Compare Models' cost: one drawing -> both models' answers shown, against the current model alone.

Real pen digits (UNIPEN ``tune`` writers) are put on the canvas one whole drawing at a time (as
opening an ink file does), in blocks that alternate comparing / not comparing (A/B in one run, so
the machine's noise hits both). Timed from the canvas's change to the last answer computed by the worker and to the last answer
shown (with comparing on, both the main chart and the compared model's column). Also each model's recognition
time inside the worker (preprocessing + forward pass).

    QT_QPA_PLATFORM=offscreen python bench/compare_latency.py [--drawings 300] [--second models/paper.keras]
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
ROOT = Path(__file__).resolve().parents[1]
UNIPEN = ROOT.parent / "shared" / "datasets" / "unipen" / "unipen-1a-digits.jsonl"


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50": round(statistics.median(ms), 2), "p95": round(float(np.percentile(ms, 95)), 2),
            "max": round(max(ms), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--drawings", type=int, default=300)
    ap.add_argument("--block", type=int, default=20, help="drawings per comparing/not block")
    ap.add_argument("--second", default=str(ROOT / "models" / "paper.keras"))
    args = ap.parse_args()

    from PySide6.QtCore import Qt, QTimer

    from app_window import open_main_window
    from digitpad.core.ink import parse_ink

    inks = [ink for ink in (parse_ink(line) for line in UNIPEN.open()) if ink.extra.get("part") == "tune"]
    inks = inks[::max(1, len(inks) // args.drawings)][:args.drawings]
    app, w = open_main_window(1100, 700)
    shown: dict = {}
    worker_ms: dict = {"main": [], "second": []}

    def mark(kind):
        def on(r):
            shown[(kind, r.request_id)] = time.perf_counter()
            worker_ms[kind].append(r.latency_ms)
        return on

    w.resultShown.connect(mark("main"))
    w.worker.results(w.COMPARED).connect(mark("second"))
    computed: dict = {}  # request id -> when the worker had the answer (on the worker thread)
    w.worker._finished.connect(lambda r: computed.__setitem__(r.request_id, time.perf_counter()),
                               Qt.DirectConnection)

    def pump_until(cond, timeout=60.0):
        end = time.perf_counter() + timeout
        while not cond() and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.01)

    w.compare_with(args.second)
    pump_until(lambda: w.second is not None)
    both, alone, both_computed, alone_computed = [], [], [], []
    state = {"i": -1, "keys": [], "ids": [], "start": 0.0, "comparing": False}

    def next_drawing() -> None:
        """Event-driven, as the app runs: the event loop idles between events (a polling loop
        would hold the interpreter and slow the worker down)."""
        i = state["i"] = state["i"] + 1
        if i >= len(inks):
            app.quit()
            return
        comparing = (i // args.block) % 2 == 0
        if comparing != w.comparing:
            w.compare_dock.setVisible(comparing)
        state["comparing"] = comparing
        state["start"] = time.perf_counter()
        w.canvas.load_ink(inks[i])
        main_id, second_id = w.worker.latest_id(w.REQUESTER), w.worker.latest_id(w.COMPARED)
        state["keys"] = [("main", main_id)] + ([("second", second_id)] if comparing else [])
        state["ids"] = [main_id] + ([second_id] if comparing else [])
        check()

    def check() -> None:
        if not state["keys"] or not all(k in shown for k in state["keys"]):
            return
        if not all(i in computed for i in state["ids"]):  # its worker-side stamp is a moment behind
            QTimer.singleShot(1, check)
            return
        start, comparing = state["start"], state["comparing"]
        (both if comparing else alone).append((max(shown[k] for k in state["keys"]) - start) * 1000)
        (both_computed if comparing else alone_computed).append(
            (max(computed[i] for i in state["ids"]) - start) * 1000)
        state["keys"] = []
        QTimer.singleShot(40, next_drawing)  # a pause, as between a user's drawings

    w.resultShown.connect(lambda _r: check())
    w.worker.results(w.COMPARED).connect(lambda _r: check())
    QTimer.singleShot(200, next_drawing)
    app.exec()
    print(json.dumps({"drawings": len(inks), "second_model": Path(args.second).name,
                      "drawing_to_both_answers_computed_ms": summary(both_computed),
                      "drawing_to_answer_alone_computed_ms": summary(alone_computed),
                      "drawing_to_both_answers_shown_ms": summary(both),
                      "drawing_to_answer_alone_shown_ms": summary(alone),
                      "recognition_in_worker_ms": {k: summary(v) for k, v in worker_ms.items()}}, indent=2))
    w.close()


if __name__ == "__main__":
    main()
