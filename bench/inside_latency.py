"""The Inside panel's cost: from a drawing's last stroke event to the panel updated, and what it
does to live recognition.

Real pen digits (UNIPEN ``tune`` writers) are replayed onto the canvas as mouse events at a pen's
pace (one every 8 ms), stroke by stroke, the event loop running as in the app, in blocks that alternate panel shown / panel hidden (A/B in one run, so the machine's
noise hits both). For each drawing: the last event (the pen lifted) -> the chart updated, and,
with the panel shown, -> the panel updated. Also: the time to build the MNIST test map for the
model, and to read it back from its cache.

    QT_QPA_PLATFORM=offscreen python bench/inside_latency.py [--drawings 120]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
UNIPEN = ROOT.parent / "shared" / "datasets" / "unipen" / "unipen-1a-digits.jsonl"
MNIST = ROOT.parent / "shared" / "datasets" / "mnist.npz"


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50": round(statistics.median(ms), 1), "p95": round(float(np.percentile(ms, 95)), 1),
            "max": round(max(ms), 1)}


def map_times() -> dict:
    """Cold build and cached read of the default model's map, on a copy (its cache goes beside it)."""
    import shutil

    from digitpad.core.model_files import shipped_model
    from digitpad.ml import inside
    from digitpad.ml.numpy_recognizer import load_recognizer

    with tempfile.TemporaryDirectory() as tmp, np.load(MNIST) as d:
        model = Path(tmp) / "m.keras"
        shutil.copy(shipped_model(), model)
        rec = load_recognizer(model)
        x, y = d["x_test"], d["y_test"]
        t = time.perf_counter()
        builder = inside.MapBuilder(rec, x, y, inside.fingerprint(model, x, y))
        while not builder.step():
            pass
        inside.write_cache(model, builder.result())
        cold = time.perf_counter() - t
        t = time.perf_counter()
        assert inside.read_cached(model, inside.fingerprint(model, x, y)) is not None
        cached = time.perf_counter() - t
    return {"build_s": round(cold, 1), "from_cache_s": round(cached, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--drawings", type=int, default=120)
    ap.add_argument("--block", type=int, default=10, help="drawings per shown/hidden block")
    args = ap.parse_args()

    from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from app_window import open_main_window
    from digitpad.core.ink import parse_ink

    inks = [ink for ink in (parse_ink(line) for line in UNIPEN.open()) if ink.extra.get("part") == "tune"]
    inks = inks[::max(1, len(inks) // args.drawings)][:args.drawings]
    app, w = open_main_window(1100, 700)
    w.mnist_path = str(MNIST)
    canvas = w.canvas
    marks: dict = {}

    def pump_until(cond, timeout=120.0):
        end = time.perf_counter() + timeout
        while not cond() and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.01)

    w.resultShown.connect(lambda r: marks.__setitem__(("chart", r.request_id), time.perf_counter()))
    w.worker.results(w.INSIDE).connect(lambda r: marks.__setitem__(("inside", r.request_id), time.perf_counter()))
    w.set_inside_shown(True)
    pump_until(lambda: w.inside.latent is not None)

    def send(kind, x, y, button, buttons):
        pos = QPointF(x, y)
        QApplication.sendEvent(canvas, QMouseEvent(kind, pos, pos, button, buttons, Qt.NoModifier))

    def events(ink) -> list:
        """The ink as pointer events into the canvas's middle square, a stroke at a time."""
        side = min(canvas.width(), canvas.height()) * 0.7
        pts = np.concatenate([s[:, :2] for s in ink.strokes if len(s)])
        lo, span = pts.min(0), max(float(np.ptp(pts, 0).max()), 1.0)
        off = np.array([canvas.width(), canvas.height()]) / 2 - side / 2
        out = []
        for stroke in ink.strokes:
            xy = (stroke[:, :2] - lo) / span * side + off
            out.append((QEvent.MouseButtonPress, *xy[0], Qt.LeftButton, Qt.LeftButton))
            out += [(QEvent.MouseMove, x, y, Qt.NoButton, Qt.LeftButton) for x, y in xy[1:]]
            out.append((QEvent.MouseButtonRelease, *xy[-1], Qt.LeftButton, Qt.NoButton))
        return out

    shown_chart, hidden_chart, panel = [], [], []
    state = {"i": -1, "queue": [], "lifted": 0.0, "shown": False, "ids": None}

    def next_drawing() -> None:
        """Event-driven, as the app runs: pointer events at a pen's pace (one every 8 ms), the event
        loop idle in between; then wait for the answers, pause, next drawing."""
        i = state["i"] = state["i"] + 1
        if i >= len(inks):
            app.quit()
            return
        state["shown"] = (i // args.block) % 2 == 0
        w.set_inside_shown(state["shown"])
        canvas.clear()
        state["queue"] = events(inks[i])
        pen.start()

    def tick() -> None:
        if state["queue"]:
            send(*state["queue"].pop(0))
            if not state["queue"]:
                pen.stop()
                state["lifted"] = time.perf_counter()
                state["ids"] = (w.worker.latest_id(w.REQUESTER), w.worker.latest_id(w.INSIDE))
                check()

    def check() -> None:
        if state["ids"] is None:
            return
        main_id, inside_id = state["ids"]
        shown = state["shown"]
        if ("chart", main_id) not in marks or (shown and ("inside", inside_id) not in marks):
            return
        lifted = state["lifted"]
        (shown_chart if shown else hidden_chart).append((marks[("chart", main_id)] - lifted) * 1000)
        if shown:
            panel.append((marks[("inside", inside_id)] - lifted) * 1000)
        state["ids"] = None
        QTimer.singleShot(150, next_drawing)

    pen = QTimer()
    pen.setTimerType(Qt.PreciseTimer)
    pen.setInterval(8)
    pen.timeout.connect(tick)
    w.resultShown.connect(lambda _r: check())
    w.worker.results(w.INSIDE).connect(lambda _r: check())
    QTimer.singleShot(200, next_drawing)
    app.exec()
    out = {"drawings": len(inks), "last_event_to_inside_panel_ms": summary(panel),
           "last_event_to_chart_ms": {"panel_shown": summary(shown_chart), "panel_hidden": summary(hidden_chart)},
           "map": map_times()}
    print(json.dumps(out, indent=2))
    w.close()


if __name__ == "__main__":
    main()
