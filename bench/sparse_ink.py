"""Accuracy on ink from slow tablets: the same strokes with fewer samples, drawn with and without
the spline that curves sparse strokes (``digitpad.core.spline``).

Takes an ink set (default: 3,500 digits by 14 simulated tablet writers from ``pen_writers.py``),
keeps every k-th point of each stroke (first and last always kept), and recognises each thinned
copy twice with the given model: through the app's own ``ink_to_mnist`` (spline on), and with the
spline replaced by straight lines between samples, the rendering before it existed. Also times
``ink_to_mnist`` per ink both ways (median and p95 over the set).

    python bench/sparse_ink.py [--inks DIR] [--every 1 2 3 5] [--model PATH]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
from digitpad.core import ink as ink_module  # noqa: E402
from digitpad.core.ink import Ink, ink_from_dict, ink_to_mnist  # noqa: E402
from digitpad.core.model_files import shipped_model  # noqa: E402


def kept(n: int, every: int) -> list[int]:
    """Which of a stroke's ``n`` points a tablet ``every`` times slower reports: every
    ``every``-th, and always the last (where the pen lifted)."""
    return [i for i in range(n) if i % every == 0 or i == n - 1]


def thin(ink: Ink, every: int) -> Ink:
    return ink.with_strokes(s[kept(len(s), every)] for s in ink.strokes)


def accuracy(recognizer, inks: list[Ink], labels: np.ndarray) -> tuple[float, dict]:
    """Accuracy, and median / p95 milliseconds of ``ink_to_mnist`` per ink."""
    settings = recognizer.info.preprocessing
    for ink in inks[:100]:  # warm up: caches, lazy imports
        ink_to_mnist(ink, settings)
    images, ms = [], []
    for ink in inks:
        t = time.perf_counter()
        images.append(ink_to_mnist(ink, settings).image)
        ms.append((time.perf_counter() - t) * 1000)
    acc = float((recognizer.predict(np.stack(images)).probabilities.argmax(axis=1) == labels).mean())
    return acc, {"median_ms": round(float(np.median(ms)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inks", type=Path, default=ROOT / "bench" / "out" / "pen_heldout")
    ap.add_argument("--every", type=int, nargs="+", default=[1, 2, 3, 5])
    ap.add_argument("--model", default=str(shipped_model()))
    args = ap.parse_args()
    if not (args.inks / "inks.jsonl").exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "pen_writers.py"), "--writers", "14", "--seed", "12",
                        "--start", "5000", "--stop", "10000", "--count", "3500", "--out", str(args.inks)], check=True)
    inks = [ink_from_dict(json.loads(line)) for line in (args.inks / "inks.jsonl").read_text().splitlines()]
    labels = np.load(args.inks / "labels.npy")

    from digitpad.ml.recognizer import Recognizer
    recognizer = Recognizer.load(args.model)
    curved = ink_module.densify
    rows = []
    for every in args.every:
        thinned = [thin(i, every) for i in inks]
        row = {"every": every, "median_points": float(np.median([len(i.points()) for i in thinned]))}
        row["spline"], row["spline_ink_to_mnist"] = accuracy(recognizer, thinned, labels)
        ink_module.densify = lambda stroke, step: np.asarray(stroke)[:, :2]
        try:
            row["straight"], row["straight_ink_to_mnist"] = accuracy(recognizer, thinned, labels)
        finally:
            ink_module.densify = curved
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(json.dumps({"digits": int(len(labels)), "model": args.model, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
