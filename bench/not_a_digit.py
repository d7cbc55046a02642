"""How honestly a model refuses what is not a digit, through ``digitpad predict``'s ``verdict``.

Rows, in one run, per model:
- handwritten letters of writers no model trained on (UNIPEN letters, ``tune`` writers, in two
  fixed halves: A helped choose the refusal quantile, B did not; letters that handwriting makes
  ambiguous with a digit, ``looks_like_digit``, are counted apart);
- synthetic scribbles and shapes (``core.scribbles``, a seed training never uses);
- real digits of unseen writers (UNIPEN ``test``) and MNIST test (as PNG files).

    python bench/not_a_digit.py [--models default,paper] [--letters 3000] [--out DIR]

Nothing here is trained or calibrated on: the letters' ``tune`` writers and the digits' ``test``
writers are only measured.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
SHARED = ROOT.parent / "shared" / "datasets"
MODELS = {"default": ROOT / "models" / "digitpad-default.keras", "paper": ROOT / "models" / "paper.keras",
          "plain": ROOT / "bench" / "out" / "plain-cnn.keras"}
SCRIBBLE_SEED = 987_654  # not a seed training draws with


def writer_half(writer: str) -> str:
    """The ``tune`` letters' writers in two fixed halves: the refusal quantile
    (``ml.training.REFUSAL_QUANTILE``) was chosen looking at half A only; B is the honest figure."""
    return "ab"[zlib.crc32(writer.encode()) % 2]


def verdicts(model: Path, paths: list[str]) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "app")}
    done = subprocess.run([sys.executable, "-m", "digitpad", "predict", "--model", str(model), *paths],
                          capture_output=True, text=True, env=env)
    out = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if not out:
        sys.exit(f"predict printed nothing:\n{done.stderr[-2000:]}")
    return [r.get("verdict", "error") for r in out]


def shares(v: list[str]) -> str:
    c = collections.Counter(v)
    n = len(v)
    return (f"digit {c['digit'] / n * 100:5.1f}%  not sure {c['not sure'] / n * 100:5.1f}%  "
            f"not a digit {c['not a digit'] / n * 100:5.1f}%  (of {n})")


def build(out: Path, n_letters: int) -> dict[str, list[str]]:
    from digitpad.core.scribbles import KINDS, scribble_ink

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    letters = {"plain-a": [], "plain-b": [], "ambiguous": []}
    for line in (SHARED / "unipen" / "unipen-letters.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec["part"] == "tune":
            letters["ambiguous" if rec["looks_like_digit"] else f"plain-{writer_half(rec['writer'])}"].append(line)
    for kind, lines in letters.items():
        pick = rng.permutation(len(lines))[:n_letters]
        (out / f"letters-{kind}.jsonl").write_text("".join(lines[i] + "\n" for i in pick))
    srng = np.random.default_rng(SCRIBBLE_SEED)
    (out / "scribbles.jsonl").write_text("".join(
        scribble_ink(KINDS[i % len(KINDS)], srng).to_json() + "\n" for i in range(1700)))
    digits = [line for line in (SHARED / "unipen" / "unipen-1a-digits.jsonl").read_text().splitlines()
              if json.loads(line)["part"] == "test"]
    (out / "unipen-test.jsonl").write_text("\n".join(digits) + "\n")
    mnist_dir = out / "mnist-test"
    mnist_dir.mkdir(exist_ok=True)
    with np.load(SHARED / "mnist.npz") as d:
        for i, img in enumerate(d["x_test"]):
            cv2.imwrite(str(mnist_dir / f"{i:05d}.png"), img)
    return {"letters, tune writers A (chose the quantile)": [str(out / "letters-plain-a.jsonl")],
            "letters, tune writers B (only measured)": [str(out / "letters-plain-b.jsonl")],
            "letters that can pass for digits": [str(out / "letters-ambiguous.jsonl")],
            "synthetic scribbles and shapes": [str(out / "scribbles.jsonl")],
            "UNIPEN test digits": [str(out / "unipen-test.jsonl")],
            "MNIST test digits": sorted(str(p) for p in mnist_dir.glob("*.png"))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="default,paper")
    ap.add_argument("--letters", type=int, default=3000, help="letters per row")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "not-a-digit")
    args = ap.parse_args()
    sets = build(args.out, args.letters)
    for key in args.models.split(","):
        print(f"== {key}: {MODELS[key].name}")
        for name, paths in sets.items():
            print(f"{name:<38} {shares(verdicts(MODELS[key], paths))}")
        print()


if __name__ == "__main__":
    main()
