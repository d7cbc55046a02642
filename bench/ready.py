"""How soon DigitPad can recognise: the app's first possible recognition and ``digitpad predict``.

Three figures, each the median of --runs fresh processes, each beside its baseline in the same
run (``DIGITPAD_INFERENCE=tensorflow``: the model loaded with TensorFlow, as before the numpy
reader):

* ``first_recognition_s``: from launching ``digitpad`` (the GUI) to the worker's ``modelLoaded``
  reaching the GUI thread (the title shows the model's name: a drawing can now be recognised),
  and ``first_answer_s``: to the answer for an ink submitted at that moment.
* ``predict_one_s``: wall time of ``digitpad predict one.png``.
* ``predict_many_s``: wall time of ``digitpad predict inks.jsonl`` on --inks real pen digits
  (UNIPEN, ../shared/datasets/unipen), the large-batch case.

    QT_QPA_PLATFORM=offscreen python bench/ready.py --runs 7

The GUI is driven by a small script that hooks the worker (no change to the app): it prints
``model-loaded`` then ``first-answer`` and quits. Settings and samples go to a temporary folder.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "digitpad-default.keras"
PICTURE = ROOT / "resources" / "samples" / "3_ink_112.png"
UNIPEN = ROOT.parent / "shared" / "datasets" / "unipen" / "unipen-1a-digits.jsonl"

DRIVER = r"""
import sys, time
import numpy as np
from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication
from digitpad.core.ink import Ink
from digitpad.gui import worker as w

class Probe(QObject):
    def __init__(self, worker):
        super().__init__()  # made on the GUI thread: its slots run there, as the main window's do
        self.worker = worker

    @Slot(object)
    def loaded(self, summary):
        print(f"model-loaded {type(self.worker._recognizer).__name__}", flush=True)
        seven = np.array([[20, 20], [80, 20], [45, 90]], float)
        self.worker.submit("bench", ink=Ink(100, 100, (seven,)))

    @Slot(object)
    def answered(self, result):
        print(f"first-answer {result.recognition.digit if result.recognition else result.error}", flush=True)
        QTimer.singleShot(0, QApplication.instance().quit)

    @Slot(str, str)
    def failed(self, path, message):
        print(f"model-failed {message}", flush=True)
        QTimer.singleShot(0, QApplication.instance().quit)

probes = []
_init = w.RecognitionWorker.__init__

def init(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    probe = Probe(self)
    probes.append(probe)
    self.modelLoaded.connect(probe.loaded)
    self.modelFailed.connect(probe.failed)
    self.results("bench").connect(probe.answered)

w.RecognitionWorker.__init__ = init
from digitpad.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _env(tmp: Path, tensorflow: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "app"), XDG_CONFIG_HOME=str(tmp / "config"),
               XDG_DATA_HOME=str(tmp / "data"), HOME=str(tmp))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("DIGITPAD_INFERENCE", None)
    if tensorflow:
        env["DIGITPAD_INFERENCE"] = "tensorflow"
    return env


def gui_ready(env: dict) -> tuple[float, float, str]:
    """Seconds from launch to ``model-loaded`` and to ``first-answer``, and the recogniser used."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, "--model", str(MODEL)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    loaded = answered = None
    kind = "?"
    for line in proc.stdout:
        if line.startswith("model-loaded"):
            loaded, kind = time.perf_counter() - t, line.split()[1]
        elif line.startswith("first-answer"):
            answered = time.perf_counter() - t
        elif line.startswith("model-failed"):
            raise SystemExit(line.strip())
    proc.wait(120)
    if loaded is None or answered is None:
        raise SystemExit("the app quit before recognising")
    return loaded, answered, kind


def wall(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()[-400:]}")
    return elapsed


def _summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "runs": [round(v, 3) for v in values]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--inks", type=int, default=3000, help="pen digits for the large-batch predict (0: skip)")
    args = ap.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inks = tmp / "inks.jsonl"
        if args.inks:
            with open(UNIPEN, encoding="utf-8") as src, open(inks, "w", encoding="utf-8") as dst:
                for _, line in zip(range(args.inks), src):
                    dst.write(line)
        predict = [sys.executable, "-m", "digitpad", "predict", "--model", str(MODEL)]
        for label, tensorflow in (("numpy", False), ("tensorflow_baseline", True)):
            env = _env(tmp, tensorflow)
            loaded, answered, kinds = [], [], set()
            one, many = [], []
            for _ in range(args.runs):  # interleaved, so a busy moment on the machine hits every figure
                a, b, kind = gui_ready(env)
                loaded.append(a)
                answered.append(b)
                kinds.add(kind)
                one.append(wall(predict + [str(PICTURE)], env))
                if args.inks:
                    many.append(wall(predict + [str(inks)], env))
            results[label] = {"recognizer": sorted(kinds), "first_recognition_s": _summary(loaded),
                              "first_answer_s": _summary(answered), "predict_one_s": _summary(one)}
            if args.inks:
                results[label][f"predict_{args.inks}_inks_s"] = _summary(many)
        results["python_startup_s"] = round(statistics.median(
            wall([sys.executable, "-c", "pass"], os.environ.copy()) for _ in range(args.runs)), 3)
    results["machine"] = {"cpus": os.cpu_count(), "load_average": [round(v, 2) for v in os.getloadavg()]}
    text = json.dumps(results, indent=2)  # lists of numbers on one line each
    print(re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text))


if __name__ == "__main__":
    main()
