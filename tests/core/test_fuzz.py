"""Fuzzing where input enters core: the ink parser and rasteriser, picture preprocessing, JSON
Lines import and sidecar reading. Whatever arrives, the answer is a result or DigitPad's own
error, never another exception. Bounded for CI; ``bench/fuzz.py`` runs the same targets longer."""
from __future__ import annotations

import json

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz_targets import any_json, ink_documents, run_image, run_ink_text, run_jsonl_import, run_sidecar

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(ink_documents())
def test_ink_documents(doc):
    run_ink_text(json.dumps(doc, allow_nan=True))


@FAST
@given(any_json)
def test_any_json_as_an_ink(value):
    run_ink_text(json.dumps(value))


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_as_an_ink(data):
    run_ink_text(data)


@FAST
@given(st.integers(1, 80), st.integers(1, 80), st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, bool]),
       st.sampled_from([None, 1, 3, 4]), st.integers(0, 2**32 - 1),
       st.sampled_from([1, 255, 65535, 1e-3, -1, 1e30, np.nan, np.inf]))
def test_pictures(h, w, dtype, channels, seed, scale):
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels is None else (h, w, channels)
    with np.errstate(all="ignore"):
        img = (rng.random(shape) * scale).astype(dtype)
    run_image(img)


@FAST
@given(st.binary(max_size=400))
def test_picture_bytes(data):
    from digitpad.core.errors import DigitPadError
    from digitpad.core.images import decode_image

    try:
        run_image(decode_image(data, "fuzz.png"))
    except DigitPadError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(ink_documents(labelled=True), any_json), min_size=1, max_size=4))
def test_jsonl_import(tmp_path, lines):
    run_jsonl_import(tmp_path, [json.dumps(line, allow_nan=True) for line in lines])


@FAST
@given(st.one_of(any_json, st.dictionaries(st.sampled_from(["preprocessing", "metrics", "thresholds", "training",
                                                            "name", "architecture", "created"]), any_json)))
def test_sidecars(value):
    run_sidecar(value)
