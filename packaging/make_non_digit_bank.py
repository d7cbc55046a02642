"""Build ``resources/non-digits.npz``: handwritten letters that do not look like digits, as model
inputs, shipped so that any training run (fine-tuning on a user's machine too) can teach and keep
the model's ``is_digit`` output.

From UNIPEN 1b/1c letters of the ``train`` writers only (``looks_like_digit`` false: not O, I, l,
S, Z, b, g, q...), a balanced draw over characters. UNIPEN is CC-BY-4.0; the file carries the credit.

    python packaging/make_non_digit_bank.py [--letters PATH] [--count 8000]
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
from digitpad.core.ink import ink_from_dict, ink_to_mnist  # noqa: E402
from digitpad.core.training_data import UNIPEN_CREDIT  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--letters", type=Path, default=ROOT.parent / "shared" / "datasets" / "unipen" /
                    "unipen-letters.jsonl")
    ap.add_argument("--count", type=int, default=8000)
    ap.add_argument("--out", type=Path, default=ROOT / "resources" / "non-digits.npz")
    args = ap.parse_args()
    by_char = collections.defaultdict(list)
    for line in args.letters.read_text().splitlines():
        rec = json.loads(line)
        if rec["part"] == "train" and not rec["looks_like_digit"]:
            by_char[rec["char"]].append(rec)
    rng = np.random.default_rng(0)
    per = -(-args.count // len(by_char))
    picked = [r for recs in by_char.values() for r in rng.permutation(np.array(recs, object))[:per]]
    picked = [picked[i] for i in rng.permutation(len(picked))[:args.count]]
    images, chars = [], []
    for rec in picked:
        pre = ink_to_mnist(ink_from_dict(rec))
        if not pre.empty:
            images.append(np.round(pre.image * 255).astype(np.uint8))
            chars.append(rec["char"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, x=np.stack(images), chars=np.array(chars), source=np.array("unipen-letters train"),
                        credit=np.array(UNIPEN_CREDIT))
    print(f"{args.out}: {len(images)} letters ({len(by_char)} characters), {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
