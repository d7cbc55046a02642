"""Latency of recognising one drawing: preprocessing + inference, the path the app takes.

Reports median and p95 over --runs repetitions for
  * ink -> Recognizer.recognise_ink   (what the canvas does), for skeleton segments
    redrawn as two-point strokes, and for tablet-like continuous strokes (``pen_writers.py``,
    sampled sparsely enough that the spline for sparse strokes runs); the tablet strokes also
    drawn at the model's main width alone, for a model that reads ink at several
  * picture -> to_mnist -> Recognizer.predict   (opened or pasted images)
  * baseline: Keras ``model.predict`` on the same prepared input, measured in the same run.

A single picture runs through the Recognizer's numpy forward pass when the model allows it
(``--tensorflow`` forces the TensorFlow path, to compare).

    python bench/latency.py [--model models/digitpad-default.keras] [--runs 300] [--tensorflow]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from digitpad.core import mnist_data  # noqa: E402
from digitpad.core.ink import ink_to_mnist  # noqa: E402
from digitpad.core.model_files import shipped_model  # noqa: E402
from digitpad.core.preprocess import to_mnist  # noqa: E402
from digitpad.core.skeleton import digit_skeletons  # noqa: E402
from digitpad.core.stroke_digits import segments_to_ink  # noqa: E402
from digitpad.ml.recognizer import Recognizer  # noqa: E402
from pen_writers import pen_ink, writer_style  # noqa: E402


def timed(fn, runs: int) -> list[float]:
    for _ in range(10):
        fn(0)
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> dict:
    return {"median_ms": round(statistics.median(ms), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3),
            "runs": len(ms)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(shipped_model()))
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--mnist")
    ap.add_argument("--tensorflow", action="store_true", help="skip the numpy forward pass")
    args = ap.parse_args()
    rec = Recognizer.load(args.model, numpy_forward=not args.tensorflow)
    data = mnist_data.load(args.mnist)
    x = data.x_test[:50]
    inks = [segments_to_ink(s, canvas=280) for s in digit_skeletons(x)]
    rng = np.random.default_rng(0)
    pen = [pen_ink(s, int(label), writer_style(rng), rng) for s, label in zip(digit_skeletons(x), data.y_test[:50])]
    pen = [ink for ink in pen if ink is not None]
    pictures = [255 - np.kron(img, np.ones((10, 10), np.uint8)) for img in x]  # 280x280 dark-on-light

    def ink_path(i):  # at every width the model reads ink at, as the canvas does
        return rec.recognise_ink(inks[i % len(inks)])

    def pen_path(i):
        return rec.recognise_ink(pen[i % len(pen)])

    one_width = replace(rec.info.preprocessing, also_ratios=())

    def pen_one_width(i):  # the baseline for a model that reads ink at several widths
        pre = ink_to_mnist(pen[i % len(pen)], one_width)
        return rec.predict(pre.image[None])

    def picture_path(i):
        pre = to_mnist(pictures[i % len(pictures)], rec.info.preprocessing)
        return rec.predict(pre.image[None])

    prepared = [ink_to_mnist(ink).image[None, ..., None] for ink in inks]

    def keras_predict(i):
        return rec.model.predict(prepared[i % len(prepared)], verbose=0)

    def inference_only(i):
        return rec.predict(prepared[i % len(prepared)][..., 0])

    results = {"ink_end_to_end": summary(timed(ink_path, args.runs)),
               "pen_ink_end_to_end": summary(timed(pen_path, args.runs)),
               "pen_ink_main_width_alone": summary(timed(pen_one_width, args.runs)),
               "picture_end_to_end": summary(timed(picture_path, args.runs)),
               "inference_only": summary(timed(inference_only, args.runs)),
               "baseline_keras_model_predict": summary(timed(keras_predict, min(args.runs, 200)))}
    base = results["baseline_keras_model_predict"]["median_ms"]
    results["speedup_vs_model_predict_median"] = round(base / results["ink_end_to_end"]["median_ms"], 1)
    results["model"] = args.model
    results["numpy_forward"] = rec.uses_numpy_path
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
