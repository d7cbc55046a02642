"""Time from launching ``digitpad`` to its main window being visible (median of --runs).

The app prints ``window-shown`` from a zero-delay timer after ``show()`` when
DIGITPAD_EXIT_WHEN_SHOWN is set, then quits; this script times the whole process launch.
Baseline in the same run: ``python -c pass`` (the interpreter alone).

    QT_QPA_PLATFORM=offscreen python bench/startup.py --runs 7
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def launch(cmd: list[str], env: dict, marker: str | None) -> float:
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if marker:
        for line in proc.stdout:
            if line.startswith(marker):
                elapsed = time.perf_counter() - t
                break
        else:
            raise SystemExit("the app exited without showing its window")
    proc.wait(60)
    return elapsed if marker else time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    env = dict(os.environ, DIGITPAD_EXIT_WHEN_SHOWN="1", PYTHONPATH=str(ROOT / "app"))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = [launch([sys.executable, "-m", "digitpad"], env, "window-shown") for _ in range(args.runs)]
    bare = [launch([sys.executable, "-c", "pass"], env, None) for _ in range(args.runs)]
    print(json.dumps({"window_shown_s": {"median": round(statistics.median(app), 3), "max": round(max(app), 3),
                                         "runs": app},
                      "baseline_python_startup_s": round(statistics.median(bare), 3),
                      "platform": env["QT_QPA_PLATFORM"]}, indent=2))


if __name__ == "__main__":
    main()
