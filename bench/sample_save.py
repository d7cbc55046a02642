"""How long accepting one collected sample takes: ink -> model view -> durable SQLite commit.

Median and p95 over --runs saves into a fresh store (WAL, synchronous=FULL, one transaction per
sample). Baseline in the same run: the same inserts without the fsync (synchronous=OFF).

    python bench/sample_save.py --runs 300
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from digitpad.core.ink import Ink, ink_to_mnist  # noqa: E402
from digitpad.core.sample_store import Sample, SampleStore  # noqa: E402


def ink(i: int) -> Ink:
    t = np.linspace(0, 2 * np.pi, 80)
    pts = np.column_stack([200 + 80 * np.sin(t + i), 200 + 120 * np.cos(t), np.full(80, 0.7), t * 100])
    return Ink(400, 400, (pts,))


def bench(store: SampleStore, runs: int) -> list[float]:
    out = []
    for i in range(runs):
        drawing = ink(i)
        t = time.perf_counter()
        pre = ink_to_mnist(drawing)
        store.add(Sample(label=i % 10, image=np.round(pre.image * 255).astype(np.uint8), ink=drawing, writer="bench"))
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with SampleStore(Path(tmp) / "durable.sqlite") as store:
            durable = bench(store, args.runs)
        with SampleStore(Path(tmp) / "fast.sqlite") as store:
            store._db.execute("PRAGMA synchronous=OFF")
            unsafe = bench(store, args.runs)
    summary = lambda ms: {"median_ms": round(statistics.median(ms), 2),  # noqa: E731
                          "p95_ms": round(float(np.percentile(ms, 95)), 2)}
    print(json.dumps({"save_sample_durable": summary(durable), "baseline_no_fsync": summary(unsafe),
                      "runs": args.runs}, indent=2))


if __name__ == "__main__":
    main()
