"""Whole numbers written by real people: digits of one UNIPEN ``test`` writer set side by side.

Each number has 2-6 digits of one writer, each scaled to its own height (±20%), placed with gaps
from slightly overlapping boxes (up to 15% of the narrower box's width) to wide (0.6 x the height),
on a drifting baseline. Read through the public command
``digitpad predict --number``; also prints per-digit accuracy (on numbers split into the right
count) against the single-digit accuracy of the same inks, and the latency of one drawn 4-digit
number (split + read, in process) as median and p95.

    python bench/number_reading.py [--count 1000] [--seed 1] [--out DIR]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
UNIPEN = ROOT.parent / "shared" / "datasets" / "unipen" / "unipen-1a-digits.jsonl"


def writers(part: str = "test") -> dict[str, dict[int, list[dict]]]:
    out: dict[str, dict[int, list[dict]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    for line in UNIPEN.read_text().splitlines():
        rec = json.loads(line)
        if rec["part"] == part and not rec.get("suspect"):
            out[rec["writer"]][rec["label"]].append(rec)
    return out


def compose(recs: list[dict], rng: np.random.Generator, height: float = 100.0) -> dict:
    """One ink of the digits side by side, left to right."""
    strokes, right, base, last_width = [], 20.0, 40.0, None
    for rec in recs:
        pts = [np.asarray(s, float)[:, :2] for s in rec["strokes"] if s]
        allp = np.concatenate(pts)
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        h = height * rng.uniform(0.8, 1.2)
        scale = h / max(hi[1] - lo[1], 1e-6)
        width = (hi[0] - lo[0]) * scale
        base += rng.uniform(-0.1, 0.1) * height
        # the gap: from boxes overlapping slightly (up to 15% of the narrower box) to wide (0.6 x height)
        x = right if last_width is None else right + rng.uniform(-0.15 * min(width, last_width), 0.6 * height)
        for s in pts:
            strokes.append([[round(float(x + (px - lo[0]) * scale), 1), round(float(base + (py - lo[1]) * scale), 1)]
                            for px, py in s])
        right, last_width = x + width, width
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    return {"width": round(max(xs) + 20), "height": round(max(ys) + 40), "strokes": strokes}


def build(count: int, seed: int, out: Path, part: str = "test") -> list[dict]:
    rng = np.random.default_rng(seed)
    pool = {w: d for w, d in writers(part).items() if len(d) >= 3}
    names = sorted(pool)
    numbers, singles = [], []
    for _ in range(count):
        w = pool[names[rng.integers(len(names))]]
        labels = [int(rng.choice(sorted(w))) for _ in range(int(rng.integers(2, 7)))]
        recs = [w[l][rng.integers(len(w[l]))] for l in labels]
        doc = compose(recs, rng)
        doc["number"] = "".join(map(str, labels))
        numbers.append(doc)
        singles.extend(recs)
    out.mkdir(parents=True, exist_ok=True)
    (out / "numbers.jsonl").write_text("".join(json.dumps(n) + "\n" for n in numbers))
    (out / "singles.jsonl").write_text("".join(json.dumps(r) + "\n" for r in singles))
    return numbers


def latency(numbers: list[dict], runs: int = 300) -> tuple[float, float]:
    from digitpad.core.ink import ink_from_dict
    from digitpad.core.numbers import split_ink
    from digitpad.core.model_files import shipped_model
    from digitpad.ml.recognizer import Recognizer

    rec = Recognizer.load(shipped_model())
    fours = [ink_from_dict({k: v for k, v in n.items() if k != "number"}) for n in numbers if len(n["number"]) == 4]

    def read(images):
        return rec.predict(images).probabilities

    times = []
    for i in range(runs + 20):
        ink = fours[i % len(fours)]
        t = time.perf_counter()
        pieces = split_ink(ink, read, rec.info.preprocessing)
        rec.predict(np.stack([p.image for p in pieces]))
        if i >= 20:
            times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times)), float(np.percentile(times, 95))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "numbers")
    ap.add_argument("--model")
    ap.add_argument("--part", default="test", help="UNIPEN writers to use: test (report), tune (develop on)")
    args = ap.parse_args()
    numbers = build(args.count, args.seed, args.out, args.part)
    cmd = [sys.executable, "-m", "digitpad", "predict", "--number", str(args.out / "numbers.jsonl")]
    if args.model:
        cmd[4:4] = ["--model", args.model]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "app")})
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    exact = sum(a.get("number") == n["number"] for a, n in zip(answers, numbers))
    right_count = [(a, n) for a, n in zip(answers, numbers) if len(a.get("digits", [])) == len(n["number"])]
    digits = sum(len(n["number"]) for _, n in right_count)
    digit_ok = sum(str(d["digit"]) == c for a, n in right_count for d, c in zip(a["digits"], n["number"]))
    lengths = collections.Counter(len(n["number"]) for n in numbers)
    print(f"{len(numbers)} numbers of {dict(sorted(lengths.items()))} digits by {len(writers(args.part))} UNIPEN "
          f"{args.part} writers")
    print(f"read exactly: {exact / len(numbers) * 100:.2f}%")
    print(f"split into the right number of digits: {len(right_count) / len(numbers) * 100:.2f}%; "
          f"per-digit accuracy there: {digit_ok / max(digits, 1) * 100:.2f}% of {digits}")
    wrong = collections.Counter()
    for a, n in zip(answers, numbers):
        if a.get("number") != n["number"]:
            k = len(a.get("digits", []))
            wrong["too few digits" if k < len(n["number"]) else "too many digits" if k > len(n["number"])
                  else "a digit misread"] += 1
    print("errors: " + ", ".join(f"{k} {v}" for k, v in wrong.most_common()))
    # what segmentation costs: every digit of a wrongly split number counts as wrong, against the
    # same inks read one by one as single digits
    singles = [json.loads(line) for line in (args.out / "singles.jsonl").read_text().splitlines()]
    cmd1 = [c for c in cmd if c != "--number"][:-1] + [str(args.out / "singles.jsonl")]
    alone = [json.loads(line).get("digit") for line in subprocess.run(
        cmd1, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "app")}).stdout.splitlines()]
    single_acc = float(np.mean([a == r["label"] for a, r in zip(alone, singles)]))
    def common(a: str, b: str) -> int:
        """Digits read right, aligned (longest common subsequence): a split error costs its own digits."""
        row = [0] * (len(b) + 1)
        for ca in a:
            prev = 0
            for j, cb in enumerate(b, 1):
                prev, row[j] = row[j], prev + 1 if ca == cb else max(row[j], row[j - 1])
        return row[-1]

    total = sum(len(n["number"]) for n in numbers)
    aligned = sum(common(a.get("number") or "", n["number"]) for a, n in zip(answers, numbers)) / total
    print(f"per digit in numbers (aligned): {aligned * 100:.2f}%; the same {len(singles)} inks read alone: "
          f"{single_acc * 100:.2f}% (segmentation costs {(single_acc - aligned) * 100:.2f} points)")
    med, p95 = latency(numbers)
    print(f"one drawn 4-digit number -> answer: median {med:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
