"""Shared fixtures. MNIST comes from ../shared (or $DIGITPAD_MNIST); a missing copy fails, never skips."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from support import ROOT, SHARED_UNIPEN, mnist_path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def mnist_file() -> Path:
    path = mnist_path()
    if not path.is_file():
        pytest.fail(f"MNIST is missing at {path}: tests need ../shared/datasets/mnist.npz (or $DIGITPAD_MNIST)")
    return path


@pytest.fixture(scope="session")
def mnist_test_sample(mnist_file):
    """The first 300 MNIST test digits and labels."""
    with np.load(mnist_file) as data:
        return data["x_test"][:300].copy(), data["y_test"][:300].copy()


@pytest.fixture(scope="session")
def unipen_file() -> Path:
    """Real pen digits by 258 writers (../shared/datasets/unipen); a missing copy fails, never skips."""
    path = Path(os.environ.get("DIGITPAD_UNIPEN", SHARED_UNIPEN))
    if not path.is_file():
        pytest.fail(f"UNIPEN digits are missing at {path}: tests need ../shared/datasets/unipen (or $DIGITPAD_UNIPEN)")
    return path


@pytest.fixture(scope="session")
def shipped_model() -> Path:
    path = ROOT / "models" / "digitpad-default.keras"
    if not path.is_file():
        pytest.fail(f"the shipped default model is missing at {path}")
    return path


@pytest.fixture
def cli_env(mnist_file, tmp_path) -> dict:
    env = dict(os.environ)
    env["DIGITPAD_MNIST"] = str(mnist_file)
    env["DIGITPAD_CACHE"] = str(tmp_path / "cache")
    env["PYTHONPATH"] = str(ROOT / "app") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def pytest_sessionfinish(session, exitstatus):
    session.config._digitpad_exit = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave without interpreter finalisation once pytest has reported.

    With PySide6 and TensorFlow both loaded, CPython's final garbage collection can abort
    ("bool_dealloc ... refcount error in a C extension") after every test has passed, turning a
    green run red. The summary is already printed here, so exit with pytest's own status.
    """
    status = getattr(config, "_digitpad_exit", None)
    if status is None or "PySide6" not in sys.modules:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
