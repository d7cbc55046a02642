"""A longer fuzz of the inputs that enter ``core`` (the same targets as ``tests/core/test_fuzz.py``):
prints how many inputs each target tried and the exceptions by type. Target: none but DigitPad's
own (``DigitPadError`` is what a user sees as one clear line, and is not counted here).

    python bench/fuzz.py [--seconds 300]
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "app"), str(ROOT / "tests")]
from fuzz_targets import any_json, ink_documents, run_image, run_ink_text, run_jsonl_import, run_sidecar  # noqa: E402

tried: collections.Counter = collections.Counter()
raised: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
examples: dict[tuple[str, str], str] = {}


def guarded(target: str, fn, *args) -> None:
    tried[target] += 1
    try:
        fn(*args)
    except Exception as exc:  # what we are here to count
        name = type(exc).__name__
        raised[target][name] += 1
        examples.setdefault((target, name), "".join(traceback.format_exception_only(exc)).strip()[:300])


ROUND = settings(max_examples=200, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))


@ROUND
@given(ink_documents())
def ink_docs(doc):
    guarded("ink", run_ink_text, json.dumps(doc, allow_nan=True))


@ROUND
@given(st.one_of(any_json, st.binary(max_size=300)))
def ink_noise(value):
    guarded("ink", run_ink_text, value if isinstance(value, bytes) else json.dumps(value))


@ROUND
@given(st.integers(1, 120), st.integers(1, 120), st.sampled_from([np.uint8, np.uint16, np.float32, bool]),
       st.sampled_from([None, 1, 3, 4]), st.integers(0, 2**32 - 1))
def pictures(h, w, dtype, channels, seed):
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        img = (rng.random((h, w) if channels is None else (h, w, channels)) * 300).astype(dtype)
    guarded("picture", run_image, img)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(ink_documents(labelled=True), any_json), min_size=1, max_size=4))
def imports(lines):
    guarded("jsonl import", run_jsonl_import, None, [json.dumps(line, allow_nan=True) for line in lines])


@ROUND
@given(any_json)
def sidecars(value):
    guarded("sidecar", run_sidecar, value)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=300)
    args = ap.parse_args()
    end = time.time() + args.seconds
    while time.time() < end:
        for round_ in (ink_docs, ink_noise, pictures, imports, sidecars):
            round_()
    print(f"fuzzed for {args.seconds:.0f} s")
    for target, n in tried.items():
        errors = ", ".join(f"{k} x{v}" for k, v in raised[target].most_common()) or "none"
        print(f"{target:<13} {n:>9,} inputs; exceptions other than DigitPad's own: {errors}")
    for (target, name), text in examples.items():
        print(f"  e.g. {target} {name}: {text}")
    sys.exit(1 if any(raised.values()) else 0)


if __name__ == "__main__":
    main()
