"""Digits as other sources deliver pictures, made from MNIST *test* (writers the training never saw):

- ``bitmap16``: 16x16 binary bitmaps, the digit stretched to fill the frame (as in Semeion/USPS);
- ``bitmap32``: 32x32 binary bitmaps, the digit fitted with its aspect kept (as in optdigits);
- ``scanned``: dark ink on grey paper at 3x, blurred, with paper noise and JPEG compression.

Each set is a folder of PNG/JPEG files named ``LABEL_index``; the accuracy comes from the public
command, ``digitpad evaluate MODEL --data FOLDER``.

    python bench/picture_digits.py [--count 3000] [--model M ...]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "datasets" / "mnist.npz"
OUT = ROOT / "bench" / "out" / "pictures"


def _crop(img: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(img.max(1) > 40), np.flatnonzero(img.max(0) > 40)
    return img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def bitmap(img: np.ndarray, side: int, stretch: bool, level: float = 0.45) -> np.ndarray:
    crop = _crop(img).astype(np.float32) / 255
    if stretch:
        w = h = side
    else:
        s = side / max(crop.shape)
        h, w = max(1, round(crop.shape[0] * s)), max(1, round(crop.shape[1] * s))
    small = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
    out = np.zeros((side, side), np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    out[top:top + h, left:left + w] = (small > level) * 255
    return 255 - out  # black ink on white, as such files usually are


def scanned(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    big = cv2.resize(img, (84, 84), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    big = cv2.GaussianBlur(big, (0, 0), rng.uniform(0.6, 1.4))
    paper = rng.uniform(170, 235) + rng.normal(0, rng.uniform(3, 10), big.shape)
    ink = rng.uniform(20, 80)
    page = paper * (1 - big) + ink * big
    return np.clip(page, 0, 255).astype(np.uint8)


def build(count: int, out: Path) -> dict[str, Path]:
    with np.load(MNIST) as d:
        x, y = d["x_test"][:count], d["y_test"][:count]
    rng = np.random.default_rng(5)
    sets = {"bitmap16": out / "bitmap16", "bitmap32": out / "bitmap32", "scanned": out / "scanned"}
    for folder in sets.values():
        folder.mkdir(parents=True, exist_ok=True)
    for i, (img, label) in enumerate(zip(x, y)):
        cv2.imwrite(str(sets["bitmap16"] / f"{label}_{i:05d}.png"), bitmap(img, 16, stretch=True))
        cv2.imwrite(str(sets["bitmap32"] / f"{label}_{i:05d}.png"), bitmap(img, 32, stretch=False))
        cv2.imwrite(str(sets["scanned"] / f"{label}_{i:05d}.jpg"), scanned(img, rng),
                    [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 90))])
    return sets


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--model", action="append", help="model file(s); default: the shipped default")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    sets = build(args.count, args.out)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "app")}
    for model in args.model or [str(ROOT / "models" / "digitpad-default.keras")]:
        for name, folder in sets.items():
            text = subprocess.run([sys.executable, "-m", "digitpad", "evaluate", model, "--data", str(folder)],
                                  capture_output=True, text=True, env=env, check=True).stdout
            acc = re.search(r"accuracy\s+([\d.]+)%", text).group(1)
            print(f"{Path(model).name:<28} {name:<9} {acc}% of {args.count}")


if __name__ == "__main__":
    main()
