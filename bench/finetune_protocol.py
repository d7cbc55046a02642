"""The seed paper's protocol on data DigitPad can make, through the public commands.

"New writers": MNIST *test* digits redrawn as ink. ``--kind pen`` (default): simulated tablet
writers (``pen_writers.py``), 30 writers for the collection and 14 others held out, each with
their own slant, proportions and sampling. ``--kind backslant``: one consistent back-slanted,
wide hand MNIST rarely shows (``stroke_testset.py``). Digits 0-4999 are the homemade collection
(imported, split 80/20 by the store), digits 5000-9999 the held-out writers. Steps: import,
predict the held-out set with the shipped model, ``digitpad finetune`` with default settings,
predict again. ``--thin K`` keeps every K-th point of each stroke of both groups: a slower tablet.

    python bench/finetune_protocol.py [--kind pen] [--count 5000] [--held-out 3500] [--thin K] [--finetune-args '...']
"""
from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from sparse_ink import kept  # the same thinning as the sparse-ink bench

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "protocol"


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digitpad", *args], capture_output=True, text=True, check=True,
                          cwd=ROOT, **kw)


def accuracy(predictions: str, labels: np.ndarray) -> float:
    digits = [json.loads(l).get("digit") for l in predictions.splitlines() if l.strip()]
    return float((np.array([-1 if d is None else d for d in digits]) == labels).mean())


def thin_file(path: Path, every: int) -> None:
    """Rewrite an ink JSON Lines file keeping every ``every``-th point (and each stroke's last)."""
    lines = []
    for line in path.read_text().splitlines():
        doc = json.loads(line)
        doc["strokes"] = [[s[i] for i in kept(len(s), every)] for s in doc["strokes"]]
        lines.append(json.dumps(doc))
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--held-out", type=int, default=3500)
    ap.add_argument("--finetune-args", default="", help="extra `digitpad finetune` options, e.g. '--variants 0'")
    ap.add_argument("--kind", choices=["pen", "backslant"], default="pen")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--thin", type=int, default=1, help="keep every K-th point of each stroke (a slower tablet)")
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.kind == "pen":
        gen = [sys.executable, str(ROOT / "bench" / "pen_writers.py")]
        collect, held = ["--writers", "30", "--seed", "11"], ["--writers", "14", "--seed", "12"]
    else:
        gen = [sys.executable, str(ROOT / "bench" / "stroke_testset.py"), "--style", "backslant"]
        collect, held = ["--writer", "homemade"], ["--seed", "7"]
    subprocess.run(gen + collect + ["--start", "0", "--stop", "5000", "--count", str(args.count),
                                    "--out", str(out / "homemade")], check=True)
    subprocess.run(gen + held + ["--start", "5000", "--stop", "10000", "--count", str(args.held_out),
                                 "--out", str(out / "heldout")], check=True)
    if args.thin > 1:
        for group in ("homemade", "heldout"):
            thin_file(out / group / "inks.jsonl", args.thin)
    store = out / "store.sqlite"
    store.unlink(missing_ok=True)
    run(["samples", "import", str(out / "homemade" / "inks.jsonl"), "--store", str(store)])
    labels = np.load(out / "heldout" / "labels.npy")
    before = accuracy(run(["predict", str(out / "heldout" / "inks.jsonl")]).stdout, labels)
    t = time.time()
    ft = ["finetune", "--store", str(store), "-o", str(out / "finetuned.keras"), "--json", str(out / "report.json")]
    ft += shlex.split(args.finetune_args)
    subprocess.run([sys.executable, "-m", "digitpad", *ft], check=False, cwd=ROOT)
    seconds = time.time() - t
    after = accuracy(run(["predict", "--model", str(out / "finetuned.keras"),
                          str(out / "heldout" / "inks.jsonl")]).stdout, labels)
    report = json.loads((out / "report.json").read_text())
    print(json.dumps({"held_out_new_writers": {"before": round(before, 4), "after": round(after, 4),
                                               "count": int(len(labels))},
                      "homemade_test_split": {"before": report["before"].get("homemade_test", {}).get("accuracy"),
                                              "after": report["after"].get("homemade_test", {}).get("accuracy")},
                      "mnist_test": {"before": report["before"]["mnist_test"]["accuracy"],
                                     "after": report["after"]["mnist_test"]["accuracy"]},
                      "mnist_drop_within_0.2_points": report["mnist_drop_ok"],
                      "finetune_seconds": round(seconds, 1)}, indent=2))


if __name__ == "__main__":
    main()
