"""Fuzz targets and input strategies shared by ``tests/core/test_fuzz.py`` and ``bench/fuzz.py``.

Each ``run_*`` feeds one input through a public entry point of ``core`` and lets only DigitPad's
own errors (:class:`~digitpad.core.errors.DigitPadError`) through; anything else is a bug.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from digitpad.core.errors import DigitPadError

#: Numbers that break arithmetic: extremes, tiny, huge integers, NaN and infinities.
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2**70, 2**70),
                    st.sampled_from([0, -0.0, 1e-300, 5e-324, 1e308, -1e308, 2**31, 2**63, 18446744073709551616,
                                     10**400, 1e6, 1e6 + 1]))
any_json = st.recursive(st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=8)),
                        lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                st.dictionaries(st.text(max_size=6), inner, max_size=5)),
                        max_leaves=30)


@st.composite
def ink_documents(draw, labelled: bool = False):
    point = st.lists(NUMBERS, min_size=2, max_size=4)
    stroke = st.lists(point, max_size=12)
    doc = {"strokes": draw(st.lists(stroke, max_size=5))}
    for key in ("width", "height", "pen_width"):
        if draw(st.booleans()):
            doc[key] = draw(NUMBERS)
    if labelled:
        doc["label"] = draw(st.one_of(st.integers(-2, 12), st.sampled_from(["7", "x", None])))
        for key in ("created", "split", "writer", "uid"):
            if draw(st.booleans()):
                doc[key] = draw(st.one_of(NUMBERS, st.text(max_size=6), st.sampled_from(["train", "test"])))
    return doc


def run_ink_text(text: str | bytes) -> None:
    from digitpad.core.ink import ink_to_mnist, parse_ink

    try:
        ink = parse_ink(text, "fuzz")
    except DigitPadError:
        return
    from digitpad.core.preprocess import PreprocessSettings

    with np.errstate(all="raise"):  # a numpy warning on extreme input is a defect too
        pre = ink_to_mnist(ink, PreprocessSettings(also_ratios=(0.084,)))  # as the default reads ink
    assert pre.empty or (pre.model_input.shape == (2, 28, 28) and np.isfinite(pre.model_input).all())


def run_image(img: np.ndarray) -> None:
    from digitpad.core.preprocess import to_mnist

    try:
        pre = to_mnist(img)
    except DigitPadError:
        return
    assert pre.empty or (pre.image.shape == (28, 28) and np.isfinite(pre.image).all())


def run_jsonl_import(folder: Path | None, lines: list[str]) -> None:
    from digitpad.core.sample_formats import import_samples
    from digitpad.core.sample_store import SampleStore

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_text("\n".join(lines) + "\n")
        with SampleStore(Path(tmp) / "s.sqlite") as store:
            try:
                import_samples(store, path)
            except DigitPadError:
                assert store.count() == 0  # all or nothing
                return
            for s in store.samples():  # whatever was accepted reads back
                assert s.image.shape == (28, 28) and 0 <= s.label <= 9


def run_sidecar(value) -> None:
    from digitpad.core.model_info import read_info

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.json").write_text(json.dumps(value))
        try:
            info = read_info(Path(tmp) / "m.keras")
        except DigitPadError:
            return
        from digitpad.core.verdict import Thresholds

        Thresholds.from_sidecar(info.thresholds)
        json.dumps(info.to_dict())
