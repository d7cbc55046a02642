"""The JSON sidecar beside each model file: what it is, how it was trained, what it scored.

Qt- and TensorFlow-free so the GUI's model-info view and the command line read it cheaply.
"""
from __future__ import annotations

import json
import os
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
        known = {"format", "name", "architecture", "preprocessing", "metrics", "thresholds", "training",
                 "created", "digitpad_version"}
        return cls(name=str(data.get("name") or name), architecture=str(data.get("architecture", "unknown")),
                   preprocessing=PreprocessSettings.from_dict(data.get("preprocessing")),
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
