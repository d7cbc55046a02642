"""TensorFlow runtime settings for interactive use."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402


def prefer_low_latency() -> bool:
    """One thread per op: for a single 28x28 picture the hand-offs between TensorFlow's pool
    threads cost more than they save (see bench/latency.py). Batch work (``evaluate``,
    ``predict`` on thousands, training) keeps the default pools. Must run before TensorFlow
    executes its first op; returns False if it came too late to take effect."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        return False
    return True
