import subprocess
import sys

import pytest


@pytest.mark.parametrize("op_first, expected", [(False, ["True", "1"]), (True, ["False", "0"])])
def test_low_latency_threads_apply_only_before_tensorflow_runs(op_first, expected):
    code = ("import tensorflow as tf\n"
            "from digitpad.ml.runtime import prefer_low_latency\n"
            + ("tf.constant(1.0) + 1\n" if op_first else "") +
            "applied = prefer_low_latency()\n"
            "tf.constant(1.0) + 1\n"
            "print(applied, tf.config.threading.get_intra_op_parallelism_threads())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == expected
