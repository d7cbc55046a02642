"""Choose fine-tuning settings on new writers without touching UNIPEN ``test``.

The ``tune`` writers are split in two halves by writer (each contributor's writers, largest
first, go alternately to A and B). Each half is imported into a sample store and fine-tuned on
with ``digitpad finetune``; the other half is read with ``digitpad predict``. Both ways, so every
``tune`` digit is read once by a model that never saw its writer: the hidden protocol's
situation (samples of some writers, new writers to read) in miniature.

    python bench/tune_halves.py [--seeds 0,1,2] [--finetune-args '--rehearsal 0 --habits 0']
"""
from __future__ import annotations

import argparse
import collections
import json
import shlex
import time
from pathlib import Path

from real_handwriting import MODELS, ROOT, digitpad, read_predictions, score, split_parts


def halves(recs: list[dict]) -> tuple[list[dict], list[dict]]:
    sizes = collections.Counter((r["contributor"], r["writer"]) for r in recs)
    by_contributor = collections.defaultdict(list)
    for (contributor, writer), n in sizes.items():
        by_contributor[contributor].append((n, writer))
    first = {w for ws in by_contributor.values() for i, (_, w) in enumerate(sorted(ws, reverse=True)) if i % 2 == 0}
    return [r for r in recs if r["writer"] in first], [r for r in recs if r["writer"] not in first]


def errors(s: dict) -> int:
    return s["count"] - round(s["accuracy"] * s["count"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(MODELS["default"]))
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--finetune-args", default="", help="extra `digitpad finetune` options (default: none)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "tune-halves")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tune = split_parts(args.out)["tune"]
    parts = dict(zip("AB", halves(tune)))
    for name, recs in parts.items():
        (args.out / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
        store = args.out / f"{name}.sqlite"
        store.unlink(missing_ok=True)
        digitpad("samples", "import", str(args.out / f"{name}.jsonl"), "--store", str(store))
    print(f"UNIPEN tune: {len(tune)} digits; halves by writer A {len(parts['A'])}, B {len(parts['B'])}")
    model = Path(args.model)
    before = {k: score(read_predictions(model, args.out / f"{k}.jsonl"), parts[k]) for k in "AB"}
    print(f"before fine-tuning: {sum(map(errors, before.values()))} errors of {len(tune)}")
    for seed in args.seeds.split(","):
        wrong = 0
        for tuned_on, read in ("AB", "BA"):
            tuned = args.out / f"tuned-{tuned_on}.keras"
            t = time.time()
            digitpad("finetune", "--model", str(model), "--store", str(args.out / f"{tuned_on}.sqlite"),
                     "-o", str(tuned), "--seed", seed, *shlex.split(args.finetune_args))
            s = score(read_predictions(tuned, args.out / f"{read}.jsonl"), parts[read])
            n = errors(s)
            wrong += n
            print(f"seed {seed}: tuned on {tuned_on}, read {read}: {n} errors of {s['count']} "
                  f"({time.time() - t:.0f} s); " + ", ".join(f"{c} {a * 100:.1f}%"
                                                            for c, (a, _) in s["per_contributor"].items()))
        print(f"seed {seed}: {wrong} errors of {len(tune)} after fine-tuning")


if __name__ == "__main__":
    main()
