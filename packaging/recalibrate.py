"""Refresh a trained model's verdict thresholds when the calibration rule changes and its weights
do not: the same validation digits its training calibrated on (MNIST's held-out digits, their
stroke redraws, its ``--calibrate`` sets), through :func:`digitpad.ml.training.measure`.

    python packaging/recalibrate.py models/digitpad-default.keras

Only the sidecar's ``thresholds`` change; the old ones are printed beside the new.
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
from digitpad.core.training_data import (ExtraSource, StrokeMix, labelled_pictures, prepared_mnist,  # noqa: E402
                                         validation_size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--mnist", default=None)
    args = ap.parse_args()
    from digitpad.ml.recognizer import Recognizer
    from digitpad.ml.training import measure

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
    calibration = labelled_pictures([ExtraSource.parse(e) for e in training.get("calibration") or []], print)
    _, thresholds, _ = measure(rec, mnist, mx[-n_val:], my[-n_val:], strokes.validation, calibration)
    print(f"thresholds {rec.info.thresholds} -> {thresholds}")
    write_info(args.model, ModelInfo(**{**rec.info.__dict__, "thresholds": thresholds}))


if __name__ == "__main__":
    main()
