"""Peak memory and time of ``digitpad predict`` on hostile single inputs: each must be answered or
refused with its reason within 1 GB and 5 s (on top of the command's own start-up, measured
first on one ordinary picture).

    python bench/input_limits.py [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def png_header_only(width: int, height: int) -> bytes:
    """A small PNG file that claims to be ``width`` x ``height`` (its pixels compress to nothing)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\0" + b"\0" * width
    body = zlib.compress(row * min(height, 64), 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def cases(folder: Path) -> dict[str, Path]:
    out = {"ordinary picture (baseline)": ROOT / "resources" / "samples" / "7_ink_111.png"}
    inks = {
        "ink with y = 1e308": {"width": 400, "height": 400, "strokes": [[[190.4, 1e308], [194.4, 1e308],
                                                                           [5e8, 1e308], [182.4, 1e308]]]},
        "ink with x = 2^31": {"width": 400, "height": 400, "strokes": [[[0, 0], [2**31, 5], [10, 10]]]},
        "ink of 1e-300-wide strokes": {"strokes": [[[-5.2e291, -479001601], [-110, 1024],
                                                    [18446744073709551616, 1e-300], [2, 1]], [[1024, 3]]]},
        "ink of 100,001 points": {"strokes": [[[i % 300, (i * 7) % 300] for i in range(100_001)]]},
    }
    for name, doc in inks.items():
        path = folder / (name.replace(" ", "_").replace(",", "") + ".json")
        path.write_text(json.dumps(doc))
        out[name] = path
    deep = folder / "deep.jsonl"
    deep.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    out["JSON nested 100,000 deep"] = deep
    for side in (20_000, 60_000):
        path = folder / f"huge{side}.png"
        path.write_bytes(png_header_only(side, side))
        out[f"PNG of {side:,} x {side:,}"] = path
    return out


def measure(path: Path) -> tuple[float, float, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "app")}
    done = subprocess.run(["/usr/bin/time", "-f", "%M %e", sys.executable, "-m", "digitpad", "predict", str(path)],
                          capture_output=True, text=True, env=env)
    kb, seconds = done.stderr.strip().splitlines()[-1].split()
    answer = done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""
    try:
        rec = json.loads(answer)
        said = rec.get("error") or rec.get("verdict") or "answered"
    except ValueError:
        said = "(no JSON answer) " + done.stderr.strip().splitlines()[0][:120]
    return int(kb) / 1024, float(seconds), said


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {name: measure(path) for name, path in cases(Path(tmp)).items()}
    base_mb, base_s, _ = results["ordinary picture (baseline)"]
    print(f"{'input':<32} {'peak MB':>8} {'(over baseline)':>16} {'wall s':>7}  answer")
    for name, (mb, s, said) in results.items():
        print(f"{name:<32} {mb:8.0f} {mb - base_mb:+16.0f} {s:7.2f}  {said[:90]}")
    over = [n for n, (mb, s, _) in results.items() if mb - base_mb > 1024 or s - base_s > 5]
    print("all within 1 GB and 5 s of the baseline" if not over else f"OVER THE BOUND: {over}")


if __name__ == "__main__":
    main()
