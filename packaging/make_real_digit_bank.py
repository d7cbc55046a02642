"""Build ``resources/real-digits.npz``: real pen digits as model inputs, shipped so that fine-tuning
on a user's machine keeps rehearsing the real handwriting the default model learnt from.

Without them a fine-tuning run sees only MNIST and the user's samples, and forgets writing habits
that the user's writers lack: fine-tuned on writers without Australian flagged ones, the model
reads them as 7 again. Each digit of the UNIPEN ``train`` writers (only those) is stored as
drawn and with ``--variants`` distorted redrawings of its ink, of the kind a training run draws.
UNIPEN is CC-BY-4.0; the file carries the credit.

    python packaging/make_real_digit_bank.py [--digits PATH:part=train] [--variants 2]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
from digitpad.core.sample_formats import read_samples  # noqa: E402
from digitpad.core.training_data import UNIPEN_CREDIT, ExtraSource, extra_pool  # noqa: E402

UNIPEN = ROOT.parent / "shared" / "datasets" / "unipen" / "unipen-1a-digits.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--digits", default=f"{UNIPEN}:part=train")
    ap.add_argument("--variants", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "resources" / "real-digits.npz")
    args = ap.parse_args()
    source = ExtraSource.parse(args.digits)
    if source.select.get("part") != "train":
        sys.exit("select the train writers (PATH:part=train): only they may go into a shipped bank")
    samples = read_samples(source.path, "jsonl", select=source.select)  # read once: the writers come along
    pool = extra_pool([], samples, str(source), args.variants, seed=0, log=print)
    writers = [s.writer for s in samples]
    x = pool.versions.reshape(-1, *pool.versions.shape[2:])
    y = np.repeat(pool.labels, pool.versions.shape[1])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, x=x, y=y, writers=np.repeat(writers, pool.versions.shape[1]),
                        source=np.array(f"{Path(source.path).name}:part=train"), credit=np.array(UNIPEN_CREDIT))
    print(f"{args.out}: {len(pool)} digits x {pool.versions.shape[1]} versions, {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
