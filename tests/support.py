"""Helpers shared by the tests (kept out of conftest.py so they import by a unique name)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "datasets" / "mnist.npz"
SHARED_UNIPEN = ROOT.parent / "shared" / "datasets" / "unipen" / "unipen-1a-digits.jsonl"


def mnist_path() -> Path:
    env = os.environ.get("DIGITPAD_MNIST")
    return Path(env) if env else SHARED_MNIST


def run_cli(args: list[str], env: dict, input: str | None = None, timeout: float = 600):
    return subprocess.run([sys.executable, "-m", "digitpad", *args], env=env, input=input, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def randomise_batch_norms(model, rng):
    """Batch norms with random statistics, so a forward pass that ignores one is caught."""
    from keras import layers

    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.set_weights([rng.normal(size=w.shape) if "beta" in w.path or "mean" in w.path
                               else rng.random(w.shape) + 0.5 for w in layer.weights])
    return model
