"""How long an import holds the sample store's write lock, by import size.

``SampleStore.add_many`` is one transaction: other windows and imports wait for it, so the time
from its ``BEGIN IMMEDIATE`` to the end of its ``COMMIT`` (the lock) must grow linearly with the
number of samples (the store assigns each one a split). Each size is timed on a fresh store,
``--repeat`` times; the medians of the whole call and of the lock are printed.

    .venv/bin/python bench/store_import.py                 # 7,500 / 75,000 / 150,000 pictures
    .venv/bin/python bench/store_import.py --sizes 7500 --inks   # samples with ink, as an import has
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

from digitpad.core.ink import Ink  # noqa: E402
from digitpad.core.sample_store import Sample, SampleStore  # noqa: E402


def synthetic(n: int, seed: int = 0, inks: bool = False) -> list[Sample]:
    """Samples with random pictures (the store does not render them), split left to the store;
    with ``inks``, each also carries a 2-stroke, 120-point ink, as a tablet digit has."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    ink = None
    if inks:
        ink = Ink(400, 400, tuple(np.cumsum(rng.random((60, 4)) * 5, axis=0) for _ in range(2)), 12.5)
    return [Sample(label=i % 10, image=images[i], ink=ink, writer="bench", uid=f"bench-{seed}-{i}")
            for i in range(n)]


def timed(n: int, folder: Path, run: int, inks: bool) -> tuple[float, float]:
    """(seconds in add_many, seconds of it holding the write lock)."""
    samples = synthetic(n, run, inks)
    begun = []

    def trace(sql: str) -> None:
        if sql == "BEGIN IMMEDIATE":  # the write lock is held from here to the end of COMMIT
            begun.append(time.perf_counter())

    with SampleStore(folder / f"s{n}-{run}.sqlite") as store:
        store._db.set_trace_callback(trace)
        start = time.perf_counter()
        added = store.add_many(samples)
        end = time.perf_counter()
    assert added == n and len(begun) == 1
    return end - start, end - begun[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="7500,75000,150000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--inks", action="store_true", help="samples carry ink (serialised and checked per row)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            runs = [timed(n, Path(tmp), run, args.inks) for run in range(args.repeat)]
            total, lock = (statistics.median(r[i] for r in runs) for i in (0, 1))
            print(f"{n:>8,} rows{' with ink' if args.inks else ''}: add_many {total:7.2f} s, write lock held "
                  f"{lock:7.2f} s ({lock / n * 1e6:5.1f} us/row; medians of {len(runs)})", flush=True)


if __name__ == "__main__":
    main()
