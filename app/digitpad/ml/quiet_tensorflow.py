"""TensorFlow and Keras, imported once with their native start-up lines kept off the terminal.

TensorFlow's C++ side prints absl and oneDNN notices on stderr while it loads, whatever
``TF_CPP_MIN_LOG_LEVEL`` says; a command-line tool that promises one clear line per problem
cannot let them through. Only the import is silenced: Python errors still raise, and everything
TensorFlow says later goes to stderr as usual.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_silently() -> None:
    try:
        fd = sys.stderr.fileno()
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # no usable stderr: nothing to protect
        import tensorflow  # noqa: F401
        return
    saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


if "tensorflow" not in sys.modules:
    _import_silently()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

__all__ = ["keras", "tf"]
