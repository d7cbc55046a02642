"""Digits as other sources deliver pictures, made from MNIST *test* (writers the training never saw):

- ``bitmap16``: 16x16 binary bitmaps, the digit stretched to fill the frame (as in Semeion/USPS);
- ``bitmap32``: 32x32 binary bitmaps, the digit fitted with its aspect kept (as in optdigits);
- ``bitmap12``: 12x12 binary bitmaps, stretched;
- ``grey16``: 16x16 grey pictures, the digit fitted with its aspect kept (as small grey scans
  are stored);
- ``counts8``: 8x8 maps of 17 levels, each cell the count of ink pixels in a 4x4 block of a
  32x32 binary bitmap (as in optdigits), dark on light;
- ``scanned``: dark ink on grey paper at 3x, blurred, with paper noise and JPEG compression;
- ``photo``: the same on a wider sheet lit unevenly (one side about half as bright), as a phone
  photo is (the light varies by a factor of two to four across the sheet);
- ``specks``: the wider sheet with a few dots of dust or ink around the digit;
- ``form``: the wider sheet with a line of the form's box along one or two of its edges;
- ``boxed``: the digit in a form's cell, a frame round it at the edge or a few pixels in;
- ``lined``: the digit written between the lines of ruled paper, cropped with its margin (2-4
  lines every 36-50 px cross the picture);
- ``ruled`` / ``squared``: the digit on ruled or squared paper, faint to pen-dark lines, turned
  up to 2 degrees;
- ``page``: a small digit somewhere on a whole page (a 300-900 px JPEG), 0.05-4% of it ink.

Each set is a folder of PNG/JPEG files named ``LABEL_index``; the accuracy comes from the public
command, ``digitpad evaluate MODEL --data FOLDER``. ``--inks FILE.jsonl[:key=value]`` makes the
same sets from real pen digits instead (UNIPEN's ``test`` writers: other writers than MNIST's),
each drawn with a pen 0.07-0.15 of its size and put in MNIST's 28x28 form first.

    python bench/picture_digits.py [--count 3000] [--model M ...] [--inks unipen.jsonl:part=test]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
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


def bitmap(img: np.ndarray, side: int, stretch: bool, level: float | None = 0.45) -> np.ndarray:
    """The digit in a ``side`` px square, two-level at ``level``, or grey (area-averaged) for None."""
    crop = _crop(img).astype(np.float32) / 255
    if stretch:
        w = h = side
    else:
        s = side / max(crop.shape)
        h, w = max(1, round(crop.shape[0] * s)), max(1, round(crop.shape[1] * s))
    small = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
    out = np.zeros((side, side), np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    out[top:top + h, left:left + w] = np.round(small * 255) if level is None else (small > level) * 255
    return 255 - out  # black ink on white, as such files usually are


def counts8(img: np.ndarray) -> np.ndarray:
    ink = bitmap(img, 32, stretch=False) == 0
    return (255 - ink.reshape(8, 4, 8, 4).sum(axis=(1, 3)) * 255 // 16).astype(np.uint8)


def scanned(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    big = cv2.resize(img, (84, 84), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    big = cv2.GaussianBlur(big, (0, 0), rng.uniform(0.6, 1.4))
    paper = rng.uniform(170, 235) + rng.normal(0, rng.uniform(3, 10), big.shape)
    ink = rng.uniform(20, 80)
    page = paper * (1 - big) + ink * big
    return np.clip(page, 0, 255).astype(np.uint8)


def sheet(img: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    """A 3x digit on a 120 px sheet of paper, with what ``kind`` adds (see the module's list)."""
    big = cv2.resize(img, (84, 84), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    page = np.full((120, 120), rng.uniform(0.75, 0.95), np.float32)
    page[18:102, 18:102] *= 1 - rng.uniform(0.7, 0.9) * np.clip(big, 0, 1)
    if kind == "photo":
        angle = rng.uniform(0, 2 * np.pi)
        y, x = np.mgrid[-1:1:120j, -1:1:120j]
        ramp = (np.cos(angle) * x + np.sin(angle) * y + 1.5) / 3  # 1/6..5/6 along an axis, wider on a diagonal
        page *= 0.45 + 0.6 * ramp
    elif kind == "specks":
        for _ in range(rng.integers(2, 7)):
            cv2.circle(page, tuple(int(v) for v in rng.integers(0, 120, 2)), int(rng.integers(1, 3)), 0.15, -1)
    elif kind == "form":
        for side in rng.choice(4, size=rng.integers(1, 3), replace=False):
            at, width = int(rng.integers(2, 12)), int(rng.integers(1, 3))
            band = slice(at, at + width) if side < 2 else slice(120 - at - width, 120 - at)
            if side % 2 == 0:
                page[band, :] = 0.2
            else:
                page[:, band] = 0.2
    page += rng.normal(0, 0.02, page.shape).astype(np.float32)
    return (np.clip(page, 0, 1) * 255).astype(np.uint8)


def ruled(img: np.ndarray, rng: np.random.Generator, squared: bool, spacing: tuple[int, int] = (10, 17)) -> np.ndarray:
    """The 3x digit on a 120 px sheet of ruled (``squared``: squared) paper: lines every 10-16 px
    (``spacing``), from an exercise book's faint ones to ones as dark as the pen, the sheet turned
    up to 2 degrees."""
    big = np.clip(cv2.resize(img, (84, 84), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255, 0, 1)
    page = np.full((160, 160), rng.uniform(0.8, 0.95), np.float32)  # turned, then the middle 120 px kept
    spacing, width, darkness = int(rng.integers(*spacing)), int(rng.integers(1, 3)), rng.uniform(0.15, 0.75)
    for at in range(int(rng.integers(0, spacing)), 160, spacing):
        page[at:at + width, :] *= 1 - darkness
        if squared:
            page[:, at:at + width] *= 1 - darkness
    page[38:122, 38:122] *= 1 - rng.uniform(0.7, 0.9) * big
    turn = cv2.getRotationMatrix2D((80, 80), rng.uniform(-2, 2), 1.0)
    page = cv2.warpAffine(page, turn, (160, 160), flags=cv2.INTER_LINEAR)[20:140, 20:140]
    page += rng.normal(0, 0.02, page.shape).astype(np.float32)
    return (np.clip(page, 0, 1) * 255).astype(np.uint8)


def boxed(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The 3x digit in a form's cell: a frame 1-5 px wide round it, at the edge or up to 6 px in."""
    big = np.clip(cv2.resize(img, (84, 84), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255, 0, 1)
    side = 100
    page = np.full((side, side), rng.uniform(0.8, 0.95), np.float32)
    page[8:92, 8:92] *= 1 - rng.uniform(0.7, 0.9) * big
    inset, width = int(rng.integers(0, 7)), int(rng.integers(1, 6))
    cv2.rectangle(page, (inset, inset), (side - 1 - inset, side - 1 - inset), float(rng.uniform(0.1, 0.4)), width)
    page += rng.normal(0, 0.02, page.shape).astype(np.float32)
    return (np.clip(page, 0, 1) * 255).astype(np.uint8)


def on_a_page(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A digit 56-140 px tall somewhere on a 300-900 px page with grain: the ink is 0.05-4% of it."""
    side, size = int(rng.integers(300, 901)), int(rng.integers(56, 141))
    digit = np.clip(cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255, 0, 1)
    page = np.full((side, side), rng.uniform(0.75, 0.95), np.float32)
    top, left = (int(v) for v in rng.integers(0, side - size, 2))
    page[top:top + size, left:left + size] *= 1 - rng.uniform(0.7, 0.9) * digit
    page += rng.normal(0, rng.uniform(0.005, 0.02), page.shape).astype(np.float32)
    return (np.clip(page, 0, 1) * 255).astype(np.uint8)


def pen_digits(source: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` inks of ``source`` (``path[:key=value,...]``, as ``train --extra`` takes
    it) as 28x28 MNIST-form pictures."""
    sys.path.insert(0, str(ROOT / "app"))
    from digitpad.core.ink import Ink, render
    from digitpad.core.preprocess import to_mnist
    from digitpad.core.sample_formats import read_samples
    from digitpad.core.training_data import ExtraSource

    chosen = ExtraSource.parse(source)
    rng = np.random.default_rng(3)
    x, y = [], []
    for sample in read_samples(Path(chosen.path), "jsonl", select=chosen.select):
        points = sample.ink.points()
        low, size = points.min(axis=0), float((points.max(axis=0) - points.min(axis=0)).max()) or 1.0
        # the digit alone on a canvas of its own size plus a margin, whatever canvas it came on
        boxed = Ink(1.2 * size, 1.2 * size, tuple(np.c_[s[:, :2] - low + 0.1 * size] for s in sample.ink.strokes if len(s)))
        drawn = render(boxed, scale=200 / size, pen_width=rng.uniform(0.07, 0.15) * size, pressure=False)
        pre = to_mnist(drawn)
        if not pre.empty:
            x.append(np.round(pre.image * 255).astype(np.uint8))
            y.append(sample.label)
        if len(x) == count:
            break
    return np.array(x), np.array(y)


SETS = ("bitmap16", "bitmap32", "bitmap12", "grey16", "counts8", "scanned", "photo", "specks", "form", "boxed", "lined",
        "ruled", "squared", "page")


def build(count: int, out: Path, inks: str | None = None) -> dict[str, Path]:
    if inks:
        x, y = pen_digits(inks, count)
    else:
        with np.load(MNIST) as d:
            x, y = d["x_test"][:count], d["y_test"][:count]
    rng, sheet_rng, paper_rng = np.random.default_rng(5), np.random.default_rng(6), np.random.default_rng(7)
    box_rng, lined_rng = np.random.default_rng(8), np.random.default_rng(9)
    sets = {name: out / name for name in SETS}
    for folder in sets.values():  # a set made afresh: no picture of an earlier, larger run mixed in
        if folder.is_dir():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    for i, (img, label) in enumerate(zip(x, y)):
        cv2.imwrite(str(sets["bitmap16"] / f"{label}_{i:05d}.png"), bitmap(img, 16, stretch=True))
        cv2.imwrite(str(sets["bitmap32"] / f"{label}_{i:05d}.png"), bitmap(img, 32, stretch=False))
        cv2.imwrite(str(sets["bitmap12"] / f"{label}_{i:05d}.png"), bitmap(img, 12, stretch=True))
        cv2.imwrite(str(sets["grey16"] / f"{label}_{i:05d}.png"), bitmap(img, 16, stretch=False, level=None))
        cv2.imwrite(str(sets["counts8"] / f"{label}_{i:05d}.png"), counts8(img))
        cv2.imwrite(str(sets["scanned"] / f"{label}_{i:05d}.jpg"), scanned(img, rng),
                    [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 90))])
        for kind in ("photo", "specks", "form"):
            cv2.imwrite(str(sets[kind] / f"{label}_{i:05d}.png"), sheet(img, sheet_rng, kind))
        cv2.imwrite(str(sets["boxed"] / f"{label}_{i:05d}.png"), boxed(img, box_rng))
        cv2.imwrite(str(sets["lined"] / f"{label}_{i:05d}.png"), ruled(img, lined_rng, False, spacing=(36, 51)))
        for kind in ("ruled", "squared"):
            cv2.imwrite(str(sets[kind] / f"{label}_{i:05d}.png"), ruled(img, paper_rng, kind == "squared"))
        cv2.imwrite(str(sets["page"] / f"{label}_{i:05d}.jpg"), on_a_page(img, paper_rng),
                    [cv2.IMWRITE_JPEG_QUALITY, 85])
    return sets


def evaluate(model: str, data: str | Path) -> str:
    """``digitpad evaluate MODEL --data DATA``'s result: "98.10% on 2000 digits (38 wrong)"."""
    text = subprocess.run([sys.executable, "-m", "digitpad", "evaluate", model, "--data", str(data)],
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "app")}).stdout
    return re.search(r"accuracy\s+([\d.]+%.*)", text).group(1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--model", action="append", help="model file(s); default: the shipped default")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--inks", help="make the sets from these pen digits (path[:key=value]) instead of MNIST test")
    ap.add_argument("--sets", help="read only these sets (comma-separated names; all are made)")
    args = ap.parse_args()
    chosen = args.sets.split(",") if args.sets else []
    if set(chosen) - set(SETS):
        ap.error(f"--sets: no set {', '.join(sorted(set(chosen) - set(SETS)))}; the sets are {', '.join(SETS)}")
    sets = build(args.count, args.out, args.inks)
    if chosen:
        sets = {name: sets[name] for name in chosen}
    for model in args.model or [str(ROOT / "models" / "digitpad-default.keras")]:
        for name, folder in sets.items():
            acc = evaluate(model, folder).split("%")[0]
            print(f"{Path(model).name:<28} {name:<9} {acc}% of {len(list(folder.iterdir()))}")


if __name__ == "__main__":
    main()
