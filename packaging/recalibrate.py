"""Refresh a trained model's verdict thresholds when the calibration rule changes and its weights
do not: the same validation digits its training calibrated on (MNIST's held-out digits, their
stroke redraws, its ``--calibrate`` sets), through :func:`digitpad.ml.training.measure`.

    python packaging/recalibrate.py models/digitpad-default.keras [--reading-width]

``--reading-width`` first chooses the widths the model reads ink at on its calibration inks, as
training from scratch now does (:mod:`digitpad.ml.reading_width`). Only the sidecar's
``thresholds`` (and with that option its ``preprocessing`` widths and the accuracies they were
chosen by) change; the old values are printed beside the new.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
from digitpad.core import mnist_data  # noqa: E402
from digitpad.core.model_info import ModelInfo, write_info  # noqa: E402
from digitpad.core.training_data import (ExtraSource, StrokeMix, labelled_samples, model_pictures,  # noqa: E402
                                         prepared_mnist, validation_size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--mnist", default=None)
    ap.add_argument("--reading-width", action="store_true", help="choose the ink stroke width on the calibration inks")
    args = ap.parse_args()
    from digitpad.ml.recognizer import Recognizer
    from digitpad.ml.training import measure, with_reading_width

    rec = Recognizer.load(args.model)
    training = rec.info.training.get("finetune", rec.info.training)
    if training.get("store"):
        sys.exit("a fine-tuned model calibrates on its store's held-out samples: fine-tune again instead")
    mnist = mnist_data.load(args.mnist)
    prepared = prepared_mnist(mnist, training.get("limit"), training.get("stroke_mix", 0.0), print)
    mx = prepared["train"].astype(np.float32) / 255.0
    my = mnist.y_train[:len(mx)].astype(np.int64)
    n_val = validation_size(len(mx))
    strokes = StrokeMix(prepared, training.get("stroke_mix", 0.0))
    calibration = labelled_samples([ExtraSource.parse(e) for e in training.get("calibration") or []], print)
    if args.reading_width:
        before = rec.info.preprocessing.ink_widths
        rec = with_reading_width(rec, calibration)
        print(f"ink stroke widths {before} -> {rec.info.preprocessing.ink_widths}")
    metrics, thresholds, _ = measure(rec, mnist, mx[-n_val:], my[-n_val:], strokes.validation,
                               model_pictures(calibration, rec.info.preprocessing))
    print(f"thresholds {rec.info.thresholds} -> {thresholds}")
    write_info(args.model, ModelInfo(**{**rec.info.__dict__, "thresholds": thresholds,
                                        "metrics": {**rec.info.metrics, **metrics}}))


if __name__ == "__main__":
    main()
