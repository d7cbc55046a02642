"""Build a stroke-drawn test set from MNIST *test* digits (writers training never saw).

Each digit is thinned to its skeleton and turned into ink on a random canvas (200-500 px) with a
random size, position, slant, rotation, aspect and pen jitter, with pressure and timestamps and
*no* ``pen_width`` -- the shape of the hidden tablet benchmark. Writes ``inks.jsonl`` (one ink a
line, with a ``label`` key) and ``labels.npy``; ``--brush`` also writes PNG renders drawn with a
thick brush, for the picture path.

    python bench/stroke_testset.py --count 3500 --out bench/out/strokes
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from digitpad.core import mnist_data  # noqa: E402
from digitpad.core.ink import Ink, render  # noqa: E402
from digitpad.core.skeleton import digit_skeletons  # noqa: E402


def random_ink(segments: np.ndarray, rng: np.random.Generator, shear_range=(-0.35, 0.35),
               aspect_range=(-0.15, 0.15), angle_range=(-15, 15)) -> Ink:
    canvas = float(rng.integers(200, 501))
    size = rng.uniform(0.35, 0.9)  # digit height as a share of the canvas
    angle = np.deg2rad(rng.uniform(*angle_range))
    shear = rng.uniform(*shear_range)
    aspect = rng.uniform(*aspect_range)
    pts = segments.reshape(-1, 2) - 14.0
    m = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ \
        np.array([[1, shear], [0, 1]]) @ np.diag([1 + aspect, 1 - aspect])
    pts = pts @ m.T
    span = max(np.ptp(pts[:, 1]), np.ptp(pts[:, 0]), 1e-6)
    pts = pts / span * size * canvas
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    room = canvas - (hi - lo)
    pts = pts - lo + rng.uniform(0.05, 0.95, 2) * np.maximum(room, 0)
    pts += rng.normal(0, rng.uniform(0, 1.5), pts.shape)
    n = len(pts)
    pressure = np.clip(rng.uniform(0.3, 1.0) + rng.normal(0, 0.05, n), 0, 1)
    t = np.cumsum(rng.uniform(5, 12, n))
    full = np.column_stack([pts, pressure, t]).reshape(-1, 2, 4)
    return Ink(canvas, canvas, tuple(full))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=3500)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--mnist")
    ap.add_argument("--out", default="bench/out/strokes")
    ap.add_argument("--start", type=int, default=0, help="use MNIST test digits from this index on")
    ap.add_argument("--stop", type=int, default=10000, help="... up to this index")
    ap.add_argument("--style", choices=["varied", "backslant"], default="varied",
                    help="'backslant': a consistent left-leaning, wide hand MNIST rarely shows")
    ap.add_argument("--writer", default="", help="writer name stored with each ink")
    ap.add_argument("--brush", type=float, default=0.0,
                    help="also write PNGs drawn with this brush width, as a share of the canvas (e.g. 0.08)")
    args = ap.parse_args()
    data = mnist_data.load(args.mnist)
    rng = np.random.default_rng(args.seed)
    pool = np.arange(args.start, min(args.stop, len(data.x_test)))
    idx = rng.choice(pool, size=min(args.count, len(pool)), replace=False)
    style = ({"shear_range": (-0.75, -0.45), "aspect_range": (0.15, 0.3), "angle_range": (-20, -8)}
             if args.style == "backslant" else {})
    skeletons = digit_skeletons(data.x_test[idx])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    labels = data.y_test[idx].astype(int)
    with open(out / "inks.jsonl", "w") as fh:
        for k, (segs, label) in enumerate(zip(skeletons, labels)):
            ink = random_ink(segs, rng, **style)
            doc = ink.to_dict()
            doc["label"] = int(label)
            if args.writer:
                doc["writer"] = args.writer
            fh.write(json.dumps(doc) + "\n")
            if args.brush:
                pen = args.brush * ink.width
                img = 255 - render(ink, pen_width=pen)  # dark ink on white paper
                (out / "brush").mkdir(exist_ok=True)
                cv2.imwrite(str(out / "brush" / f"{label}_{k:05d}.png"), img)
    np.save(out / "labels.npy", labels)
    print(f"wrote {len(labels)} inks to {out / 'inks.jsonl'}")


if __name__ == "__main__":
    main()
