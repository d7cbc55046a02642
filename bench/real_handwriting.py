"""Real pen handwriting from writers no model has seen (UNIPEN), through the public commands.

For each model (the shipped default, the shipped ``paper`` model, the tutorial's plain CNN):
zero-shot accuracy on UNIPEN ``test`` (overall and per contributor), the fine-tuning protocol
(``samples import`` of the ``tune`` writers, ``digitpad finetune`` with default settings, predict
``test`` again), MNIST test before and after, and the errors left (true -> read).

    python bench/real_handwriting.py [--models default,paper,plain] [--no-finetune] [--out DIR]
                                     [--finetune-args '--epochs 5']

Fine-tuning settings are chosen on the ``tune`` writers' own held-out split (every 5th sample of
each digit, as the store assigns it: the "homemade test" line), never on ``test``.

``test`` is only measured here: nothing trains or calibrates on it. The plain CNN is trained by
``bench/plain_cnn.py`` if ``bench/out/plain-cnn.keras`` is missing (about 6 minutes).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNIPEN = Path(os.environ.get("DIGITPAD_UNIPEN", ROOT.parent / "shared" / "datasets" / "unipen" /
                             "unipen-1a-digits.jsonl"))
MNIST = ROOT.parent / "shared" / "datasets" / "mnist.npz"
if MNIST.is_file():
    os.environ.setdefault("DIGITPAD_MNIST", str(MNIST))
MODELS = {"default": ROOT / "models" / "digitpad-default.keras", "paper": ROOT / "models" / "paper.keras",
          "plain": ROOT / "bench" / "out" / "plain-cnn.keras"}


def digitpad(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "digitpad", *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode not in (0, 3):  # 3: finetune's "MNIST fell by more than 0.2 points"
        sys.exit(f"digitpad {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def split_parts(out: Path) -> dict[str, list[dict]]:
    parts: dict[str, list[dict]] = collections.defaultdict(list)
    for line in UNIPEN.read_text().splitlines():
        rec = json.loads(line)
        parts[rec["part"]].append(rec)
    for part, recs in parts.items():
        (out / f"{part}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    return parts


def read_predictions(model: Path, test: Path) -> list[int]:
    return [-1 if (d := json.loads(l).get("digit")) is None else d
            for l in digitpad("predict", "--model", str(model), str(test)).splitlines() if l.strip()]


def score(pred: list[int], recs: list[dict]) -> dict:
    right = [p == r["label"] for p, r in zip(pred, recs)]
    per = collections.defaultdict(list)
    for ok, r in zip(right, recs):
        per[r["contributor"]].append(ok)
    errors = collections.Counter(f"{r['label']}->{p}" for p, r in zip(pred, recs) if p != r["label"])
    return {"accuracy": sum(right) / len(right), "count": len(right),
            "per_contributor": {c: (sum(v) / len(v), len(v)) for c, v in sorted(per.items())},
            "errors": errors.most_common(12)}


def mnist_accuracy(model: Path) -> float:
    text = digitpad("evaluate", str(model))
    return float(re.search(r"accuracy\s+([\d.]+)%", text).group(1)) / 100


def per_contributor(s: dict) -> str:
    return "  per contributor: " + ", ".join(f"{c} {a * 100:.1f}% ({n})" for c, (a, n) in s["per_contributor"].items())


def line(name: str, s: dict) -> str:
    return f"{name:<34} {s['accuracy'] * 100:6.2f}% of {s['count']}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="default,paper,plain")
    ap.add_argument("--no-finetune", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "real")
    ap.add_argument("--finetune-args", default="", help="extra `digitpad finetune` options (default: none)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    parts = split_parts(args.out)
    test, tune = args.out / "test.jsonl", args.out / "tune.jsonl"
    print(f"UNIPEN {UNIPEN.name}: test {len(parts['test'])} digits, tune {len(parts['tune'])} digits "
          f"(writer-disjoint; test is only measured)\n")
    for key in args.models.split(","):
        model = MODELS[key]
        if key == "plain" and not model.is_file():
            subprocess.run([sys.executable, str(ROOT / "bench" / "plain_cnn.py"), "--epochs", "15"], check=True,
                           cwd=ROOT)
        zero = score(read_predictions(model, test), parts["test"])
        print(f"== {key}: {model.name}")
        print(line("UNIPEN test, zero-shot", zero))
        print(per_contributor(zero))
        print("  errors (true->read): " + ", ".join(f"{e} x{n}" for e, n in zero["errors"]))
        print(f"{'MNIST test':<34} {mnist_accuracy(model) * 100:6.2f}%")
        if args.no_finetune:
            print()
            continue
        store, tuned = args.out / f"{key}-store.sqlite", args.out / f"{key}-tuned.keras"
        store.unlink(missing_ok=True)
        digitpad("samples", "import", str(tune), "--store", str(store))
        t = time.time()
        text = digitpad("finetune", "--model", str(model), "--store", str(store), "-o", str(tuned),
                        *shlex.split(args.finetune_args))
        seconds = time.time() - t
        for when in ("before", "after"):
            home = re.search(rf"^{when}: homemade test ([\d.]+)% \((\d+) samples\)", text, re.M)
            print(f"{'tune writers held out, ' + when:<34} {home.group(1):>6}% of {home.group(2)}")
        after = score(read_predictions(tuned, test), parts["test"])
        print(line("UNIPEN test after fine-tuning", after) + f"  (finetune {seconds:.0f} s)")
        print(per_contributor(after))
        print("  errors (true->read): " + ", ".join(f"{e} x{n}" for e, n in after["errors"]))
        print(f"{'MNIST test after fine-tuning':<34} {mnist_accuracy(tuned) * 100:6.2f}%\n")


if __name__ == "__main__":
    main()
