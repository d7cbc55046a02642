"""Pen taps beside the digit: real pen digits (every 3rd of the UNIPEN ``tune`` writers) as they
are, and each with one tap of the pen (a two-point stroke) 0.3-0.6 digit sizes clear of it in a
random direction, read by ``digitpad evaluate``.

    python bench/pen_taps.py [--model M] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from picture_digits import evaluate  # noqa: E402
UNIPEN = ROOT.parent / "shared" / "datasets" / "unipen" / "unipen-1a-digits.jsonl"


def tapped(record: dict, rng: np.random.Generator) -> dict:
    pts = np.concatenate([np.asarray(s, float)[:, :2] for s in record["strokes"]])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    size, angle = float((hi - lo).max()), rng.uniform(0, 2 * np.pi)
    x, y = (lo + hi) / 2 + np.array([np.cos(angle), np.sin(angle)]) * size * (0.5 + rng.uniform(0.3, 0.6))
    out = dict(record, strokes=record["strokes"] + [[[float(x), float(y)], [float(x) + 0.5, float(y) + 0.5]]])
    out["width"], out["height"] = max(record["width"], x + 10), max(record["height"], y + 10)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models" / "digitpad-default.keras"))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "pen_taps")
    args = ap.parse_args()
    records = [r for r in map(json.loads, UNIPEN.open()) if r["part"] == "tune"][::3]
    rng = np.random.default_rng(4)
    args.out.mkdir(parents=True, exist_ok=True)
    sets = {"as written": records, "with a tap beside": [tapped(r, rng) for r in records]}
    for name, recs in sets.items():
        path = args.out / (name.replace(" ", "_") + ".jsonl")
        path.write_text("".join(json.dumps(r) + "\n" for r in recs))
        print(f"{name:<18} {evaluate(args.model, path)}")


if __name__ == "__main__":
    main()
