"""What the photo-and-scan clean-up (``digitpad.core.paper``) costs: ``to_mnist`` on pictures of
each kind, with the clean-up and without it (its steps replaced by no-ops) in the same process,
alternating, as medians and p95 over repeated runs.

    python bench/picture_cost.py [--runs 60]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT / "bench"))

from picture_digits import MNIST, on_a_page, ruled, sheet  # noqa: E402

from digitpad.core import preprocess  # noqa: E402


def pictures() -> dict[str, np.ndarray]:
    with np.load(MNIST) as d:
        digit = d["x_test"][0]
    rng = np.random.default_rng(3)
    big = cv2.resize(sheet(digit, rng, "photo"), (4000, 3000), interpolation=cv2.INTER_CUBIC)
    clean = np.full((3000, 4000), 235, np.uint8)
    clean[1000:1900, 1500:2400] = 255 - cv2.resize(digit, (900, 900)) * 0.85
    return {"120 px sheet, even light": sheet(digit, rng, "plain"),
            "120 px sheet, uneven light": sheet(digit, rng, "photo"),
            "120 px squared paper": ruled(digit, rng, squared=True),
            "300-900 px page, small digit": on_a_page(digit, rng),
            "4000x3000 photo, uneven light": big,
            "4000x3000 clean page (one grey, as a drawing app saves)": clean}


def timed(image: np.ndarray) -> float:
    start = time.perf_counter()
    preprocess.to_mnist(image)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=60)
    args = ap.parse_args()
    real = (preprocess.even_light, preprocess.without_strays)
    plain = (lambda gray, dark_ink=None: gray, lambda ink, level: ink)
    for name, image in pictures().items():
        runs = args.runs if image.size < 1_000_000 else max(5, args.runs // 6)
        ms = {"with": [], "without": []}
        for i in range(runs * 2):
            kind = "with" if i % 2 == 0 else "without"
            preprocess.even_light, preprocess.without_strays = real if kind == "with" else plain
            ms[kind].append(timed(image))
        preprocess.even_light, preprocess.without_strays = real
        w, wo = statistics.median(ms["with"]), statistics.median(ms["without"])
        print(f"{name:<56} median {w:8.2f} ms (p95 {np.percentile(ms['with'], 95):8.2f}) "
              f"without the clean-up {wo:8.2f} ms: +{w - wo:.2f} ms, x{w / wo:.2f}")


if __name__ == "__main__":
    main()
