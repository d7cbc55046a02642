"""The JSON sidecar beside each model file: what it is, how it was trained, what it scored.

Qt- and TensorFlow-free so the GUI's model-info view and the command line read it cheaply.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic_file import write_text
from .errors import ModelFileError
from .preprocess import PreprocessSettings

FORMAT = "digitpad-model/1"


def sidecar_path(model_path: str | os.PathLike) -> Path:
    """``foo.keras`` -> ``foo.json``; a SavedModel folder ``foo/`` -> ``foo.json`` beside it."""
    p = Path(model_path)
    return p.with_suffix(".json") if p.suffix else p.parent / (p.name + ".json")


@dataclass(frozen=True)
class ModelInfo:
    name: str
    architecture: str = "unknown"
    preprocessing: PreprocessSettings = PreprocessSettings()
    metrics: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    created: str | None = None
    digitpad_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = dict(self.extra)
        data.update(format=FORMAT, name=self.name, architecture=self.architecture,
                    preprocessing=self.preprocessing.to_dict(), metrics=self.metrics,
                    thresholds=self.thresholds, training=self.training, created=self.created,
                    digitpad_version=self.digitpad_version)
        return data

    @classmethod
    def from_dict(cls, data: dict, name: str) -> "ModelInfo":
        """Raises :class:`ModelFileError` (without a path: :func:`read_info` adds it) for a field
        of the wrong type, so a hand-edited sidecar is one clear line, not a traceback."""
        for key in ("preprocessing", "metrics", "thresholds", "training"):
            if data.get(key) is not None and not isinstance(data[key], dict):
                raise ModelFileError(f"model sidecar: '{key}' must be a JSON object, got {type(data[key]).__name__}")
        for key in ("name", "architecture", "created", "digitpad_version"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise ModelFileError(f"model sidecar: '{key}' must be a string, got {type(data[key]).__name__}")
        try:
            preprocessing = PreprocessSettings.from_dict(data.get("preprocessing"))
        except ValueError as exc:
            raise ModelFileError(f"model sidecar: preprocessing: {exc}") from None
        known = {"format", "name", "architecture", "preprocessing", "metrics", "thresholds", "training",
                 "created", "digitpad_version"}
        return cls(name=str(data.get("name") or name), architecture=str(data.get("architecture", "unknown")),
                   preprocessing=preprocessing,
                   metrics=dict(data.get("metrics") or {}), thresholds=dict(data.get("thresholds") or {}),
                   training=dict(data.get("training") or {}), created=data.get("created"),
                   digitpad_version=data.get("digitpad_version"),
                   extra={k: v for k, v in data.items() if k not in known})


def read_info(model_path: str | os.PathLike) -> ModelInfo:
    """The sidecar if there is one; a model without one is still usable with defaults."""
    path = sidecar_path(model_path)
    stem = Path(model_path).stem or Path(model_path).name
    if not path.is_file():
        return ModelInfo(name=stem)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ModelFileError("model sidecar is nested too deeply to be a sidecar", path) from None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"model sidecar is not valid JSON ({exc})", path) from None
    if not isinstance(data, dict):
        raise ModelFileError("model sidecar must hold a JSON object", path)
    try:
        return ModelInfo.from_dict(data, stem)
    except ModelFileError as exc:
        raise ModelFileError(str(exc), path) from None


def write_info(model_path: str | os.PathLike, info: ModelInfo) -> Path:
    path = sidecar_path(model_path)
    write_text(path, json.dumps(info.to_dict(), indent=2, sort_keys=False) + "\n")
    return path


# -- the Model Info view, in words --------------------------------------------------------------

#: Credit for data sets whose sidecar entry records none (older sidecars, MNIST itself).
KNOWN_CREDITS = {"MNIST": "MNIST: Y. LeCun, C. Cortes and C. J. C. Burges, CC BY-SA 3.0"}

#: Sidecar metric keys, as a person would name them (fractions become percentages).
METRIC_NAMES = {
    "mnist_test_accuracy": "MNIST test accuracy",
    "validation_accuracy": "Validation accuracy (MNIST digits held out from training)",
    "validation_stroke_accuracy": "Accuracy on validation digits redrawn as strokes",
    "calibration_accuracy": "Accuracy on the calibration digits",
    "homemade_test_accuracy": "Accuracy on your held-out samples",
}
#: Keys said elsewhere (per digit, counts, before/after pairs) or meaningless to a reader.
_SAID_ELSEWHERE = {"mnist_test_per_class", "calibration_digits", "homemade_train", "homemade_test",
                   "sample_uids_sha1", "mnist_drop_within_0.2_points"}


def _percent(value: float) -> str:
    return f"{value * 100:.2f}%"


def _count(record: dict) -> str:
    for key, noun in (("digits", "digits"), ("pictures", "pictures"), ("inks", "drawings")):
        if isinstance(record.get(key), int):
            return f"{record[key]:,} {noun}"
    return ""


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else (f"{minutes} min {secs} s" if minutes else f"{secs} s")


def _data_lines(records: list, credits: list[str]) -> tuple[list[str], list[str]]:
    """Digits and non-digits a run learnt from, each with a note number pointing at its credit."""
    digits, non_digits = [], []
    for r in records:
        if not isinstance(r, dict):
            continue
        name = re.sub(r"\s*\(digitpad\.[\w.]+\)", "", str(r.get("data", "?")))  # not the module that drew it
        credit = r.get("credit") or KNOWN_CREDITS.get(name)
        note = ""
        if credit:
            if credit not in credits:
                credits.append(credit)
            note = f" [{credits.index(credit) + 1}]"
        count = _count(r)
        extra = f" (+{r['validation_digits']:,} for validation)" if isinstance(r.get("validation_digits"), int) else ""
        (non_digits if r.get("non_digits") else digits).append(f"{name}: {count}{extra}{note}" if count
                                                               else f"{name}{note}")
    return digits, non_digits


def readable_summary(info: ModelInfo, description: dict | None = None,
                     has_digit_likeness: bool = False) -> list[tuple[str, list[str]]]:
    """What Model Info says, as (heading, lines): for people, not a dump of the sidecar.

    ``description`` is what the loaded model reports of itself (path, parameters, input shape,
    output names); without it only the sidecar is described.
    """
    d = description or {}
    what = []
    if d.get("path"):
        what.append(f"File: {d['path']}")
    network = f"Network: {info.architecture}"
    if d.get("parameters"):
        network += f", {d['parameters']:,} parameters"
    what.append(network)
    shape = tuple(d.get("input") or ())
    if len(shape) >= 2:
        what.append(f"Input: a {shape[0]}x{shape[1]} grey picture")
    if d.get("outputs"):
        names = []
        first = (d.get("classifier_output"), d.get("reconstruction_output"))
        for name in sorted(d["outputs"], key=lambda n: first.index(n) if n in first else len(first)):
            if name == d.get("classifier_output"):
                names.append(f"{name} (10 classes)")
            elif name == d.get("reconstruction_output"):
                names.append(f"{name} (28x28 picture)")
            elif has_digit_likeness:
                names.append("digit-likeness")
            else:
                names.append(name)
        what.append("Outputs: " + ", ".join(names))
    p = info.preprocessing
    widths = " and ".join(f"{w:.1%}" for w in p.ink_widths)
    drawn = f"(ink) drawn with strokes {widths} of its size" + (", each drawing read and the answers averaged"
                                                                 if p.also_ratios else "")
    steps = [drawn, "cropped to the ink", "scaled to 20 px", "centred in 28x28 as MNIST digits are"]
    steps.append("binarised at its mean brightness" if p.binarize else "not binarised")
    steps.append("enhanced (28 → 25 → 28 px)" if p.enhance else "not enhanced")
    what.append("A drawing is " + ", ".join(steps))
    sections = [("What it is", what)]

    m = info.metrics
    measured = []
    for key, value in m.items():
        if key in _SAID_ELSEWHERE or key.endswith("_before") or isinstance(value, (bool, list, dict)):
            continue
        name = METRIC_NAMES.get(key, key.replace("_", " ").capitalize())
        if not isinstance(value, (int, float)):
            continue
        text = f"{name} {_percent(value)}" if "accuracy" in key and 0 <= value <= 1 else f"{name}: {value:g}"
        per_class = m.get(f"{key.removesuffix('_accuracy')}_per_class")
        if isinstance(per_class, list) and len(per_class) == 10:
            worst = min(range(10), key=lambda i: per_class[i])
            text += f" (its weakest digit, {worst}: {_percent(per_class[worst])})"
        if key == "calibration_accuracy" and isinstance(m.get("calibration_digits"), int):
            text += f" ({m['calibration_digits']:,} digits)"
        if isinstance(m.get(f"{key}_before"), (int, float)):
            text += f", {_percent(m[f'{key}_before'])} before fine-tuning"
        measured.append(text)
    if isinstance(m.get("homemade_train"), int) and isinstance(m.get("homemade_test"), int):
        measured.append(f"Your samples: {m['homemade_train']:,} trained on, {m['homemade_test']:,} held out")
    if measured:
        sections.append(("Measured", measured))

    t = info.thresholds
    judged = []
    if isinstance(t.get("confidence"), (int, float)):
        judged.append(f"Says \"not sure\" when it is less than {t['confidence'] * 100:.1f}% sure of its best guess")
    if isinstance(t.get("digit_likeness"), (int, float)) and has_digit_likeness:
        judged.append(f"Says \"not a digit\" when the digit-likeness is below {t['digit_likeness']:.4f}")
    if isinstance(t.get("reconstruction_error"), (int, float)):
        judged.append(f"Says \"not a digit\" when the reconstruction error is above {t['reconstruction_error']:.4f}")
    elif "reconstruction_error" in t:
        judged.append("Its reconstruction error is not used: its decoder does not draw digits back")
    if judged:
        judged.append("(calibrated when it was trained; you can change them in the main window)")
        sections.append(("When it says \"not sure\" or \"not a digit\"", judged))

    tr = info.training
    credits: list[str] = []
    runs = [("Trained on", tr)]
    if isinstance(tr.get("finetune"), dict):
        runs.append((f"Then fine-tuned from {Path(str(tr.get('finetuned_from', '?'))).name} on", tr["finetune"]))
    for heading, run in runs:
        digits, non_digits = _data_lines(run.get("data") or [], credits)
        lines = digits + ([f"Not digits (to learn what to refuse): {'; '.join(non_digits)}"] if non_digits else [])
        how = []
        if isinstance(run.get("epochs"), int):
            how.append(f"{run['epochs']} epochs")
        if isinstance(run.get("duration_s"), (int, float)):
            how.append(f"in {_duration(run['duration_s'])}")
        if how:
            lines.append(" ".join(how))
        if lines:
            sections.append((heading, lines))
    if credits:
        sections.append(("Data credits", [f"[{i}] {c}" for i, c in enumerate(credits, 1)]))
    if info.created:
        made = f"Made {info.created[:10]}"
        sections.append(("", [made + (f" with DigitPad {info.digitpad_version}" if info.digitpad_version else "")]))
    return sections
