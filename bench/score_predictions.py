"""Accuracy of ``digitpad predict`` output (JSON lines on stdin) against labels.npy.

    digitpad predict bench/out/strokes/inks.jsonl | python bench/score_predictions.py bench/out/strokes/labels.npy
"""
import json
import sys

import numpy as np

labels = np.load(sys.argv[1])
digits = [json.loads(line).get("digit") for line in sys.stdin if line.strip()]
if len(digits) != len(labels):
    sys.exit(f"got {len(digits)} predictions for {len(labels)} labels")
pred = np.array([-1 if d is None else d for d in digits])
acc = float((pred == labels).mean())
per = [float((pred[labels == d] == d).mean()) for d in range(10)]
print(f"accuracy {acc * 100:.2f}% on {len(labels)} ({int((pred != labels).sum())} wrong); per digit: " +
      " ".join(f"{d}:{p * 100:.1f}" for d, p in enumerate(per)))
