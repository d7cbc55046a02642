"""Simulated tablet writers: MNIST test digits retraced as continuous pen strokes.

Closer to real tablet ink than ``stroke_testset.py``'s two-point segments: the skeleton is
walked into continuous strokes (starting at the top, going straight through crossings), smoothed,
and sampled sparsely along the path as a tablet sampling at a fixed rate would. Every writer has
their own slant, width, rotation, sampling step and pen tremor, kept across all their digits with
small variations, so a held-out group of writers has styles the fine-tuning never saw. Half the
writers also use continental forms MNIST seldom shows: a 1 with a long flag (and sometimes a
foot) and a 7 with a crossbar.

    python bench/pen_writers.py --start 0 --stop 5000 --count 5000 --writers 30 --out DIR
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from digitpad.core import mnist_data  # noqa: E402
from digitpad.core.ink import Ink  # noqa: E402
from digitpad.core.skeleton import digit_skeletons  # noqa: E402


def trace(segments: np.ndarray) -> list[np.ndarray]:
    """Walk skeleton segments into pen strokes: start at the top-most loose end, keep going the
    way the pen was heading, lift when there is nowhere left to go."""
    keys = np.round(segments.reshape(-1, 2) * 2).astype(int)
    ids: dict[tuple[int, int], int] = {}
    for k in map(tuple, keys):
        ids.setdefault(k, len(ids))
    nodes = np.array(list(ids), float) / 2
    ends = np.array([ids[tuple(k)] for k in keys]).reshape(-1, 2)
    adj: list[list[int]] = [[] for _ in nodes]
    for e, (a, b) in enumerate(ends):
        if a != b:
            adj[a].append(e)
            adj[b].append(e)
    used = np.zeros(len(ends), bool)
    used[ends[:, 0] == ends[:, 1]] = True
    strokes = []
    while not used.all():
        free = [n for n in range(len(nodes)) if any(not used[e] for e in adj[n])]
        odd = [n for n in free if sum(not used[e] for e in adj[n]) % 2] or free
        node = min(odd, key=lambda n: (nodes[n][1] + 0.3 * nodes[n][0]))
        path, heading = [nodes[node]], None
        while True:
            options = [e for e in adj[node] if not used[e]]
            if not options:
                break

            def turn(e):
                nxt = ends[e][1] if ends[e][0] == node else ends[e][0]
                d = nodes[nxt] - nodes[node]
                return 0.0 if heading is None else -float(d @ heading) / (np.linalg.norm(d) + 1e-9)

            e = min(options, key=turn)
            used[e] = True
            nxt = ends[e][1] if ends[e][0] == node else ends[e][0]
            d = nodes[nxt] - nodes[node]
            heading = d / (np.linalg.norm(d) + 1e-9) if heading is None else \
                0.6 * heading + 0.4 * d / (np.linalg.norm(d) + 1e-9)
            node = nxt
            path.append(nodes[node])
        if len(path) > 2:
            strokes.append(np.array(path))
    return strokes


def resample(path: np.ndarray, step: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth the pixel staircase, then keep points every ``step`` (+-30%) along the path."""
    if len(path) >= 5:
        k = np.ones(5) / 5
        padded = np.concatenate([np.repeat(path[:1], 2, 0), path, np.repeat(path[-1:], 2, 0)])
        path = np.column_stack([np.convolve(padded[:, i], k, "valid") for i in range(2)])
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    dist = np.concatenate([[0], np.cumsum(seg)])
    marks, at = [0.0], 0.0
    while at + step < dist[-1]:
        at += step * rng.uniform(0.7, 1.3)
        marks.append(min(at, dist[-1]))
    if marks[-1] < dist[-1]:
        marks.append(dist[-1])
    return np.column_stack([np.interp(marks, dist, path[:, i]) for i in range(2)])


def writer_style(rng: np.random.Generator) -> dict:
    continental = rng.random() < 0.5
    return {"shear": rng.uniform(-0.45, 0.35), "aspect": rng.uniform(-0.2, 0.25), "angle": rng.uniform(-12, 12),
            "step": rng.uniform(0.8, 2.6), "tremor": rng.uniform(0.0, 0.25), "size": rng.uniform(0.45, 0.85),
            "flag": rng.uniform(0.3, 0.5) if continental else 0.0, "foot": continental and rng.random() < 0.5,
            "crossbar": continental}


def continental(strokes: list[np.ndarray], label: int, style: dict) -> list[np.ndarray]:
    """A flag (and foot) on a 1, a crossbar on a 7, in the traced digit's own coordinates."""
    pts = np.concatenate(strokes)
    top, bottom = pts[pts[:, 1].argmin()], pts[pts[:, 1].argmax()]
    h = max(float(bottom[1] - top[1]), 1.0)
    if label == 1 and style["flag"]:
        flag = top + np.array([-0.6, 0.5]) * style["flag"] * h
        strokes = [np.array([flag, top])] + strokes
        if style["foot"]:
            strokes.append(np.array([bottom - (0.2 * h, 0), bottom + (0.2 * h, 0)]))
    elif label == 7 and style["crossbar"]:
        mid = top[1] + 0.55 * h
        near = pts[np.abs(pts[:, 1] - mid) < 0.12 * h]
        if len(near):
            x = float(near[:, 0].mean())
            strokes = strokes + [np.array([(x - 0.25 * h, mid), (x + 0.25 * h, mid)])]
    return strokes


def pen_ink(segments: np.ndarray, label: int, style: dict, rng: np.random.Generator) -> Ink | None:
    strokes = trace(segments)
    if not strokes:
        return None
    strokes = continental(strokes, label, style)
    angle = np.deg2rad(style["angle"] + rng.normal(0, 3))
    shear = style["shear"] + rng.normal(0, 0.07)
    aspect = style["aspect"] + rng.normal(0, 0.04)
    m = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ \
        np.array([[1, shear], [0, 1]]) @ np.diag([1 + aspect, 1 - aspect])
    canvas = 500.0
    scale = style["size"] * canvas / 20.0  # an MNIST digit is ~20 px tall
    out, t = [], 0.0
    for s in strokes:
        pts = resample(s, style["step"], rng)
        pts = (pts - 14.0) @ m.T * scale + canvas / 2
        pts += rng.normal(0, style["tremor"] * scale / 10, pts.shape)
        n = len(pts)
        times = t + 10.0 * np.arange(n)
        t = times[-1] + rng.uniform(80, 250)
        pressure = np.clip(rng.uniform(0.4, 0.9) + rng.normal(0, 0.05, n), 0, 1)
        out.append(np.column_stack([pts, pressure, times]))
    return Ink(canvas, canvas, tuple(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--stop", type=int, default=10000)
    ap.add_argument("--count", type=int, default=3500)
    ap.add_argument("--writers", type=int, default=14)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--mnist")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    data = mnist_data.load(args.mnist)
    rng = np.random.default_rng(args.seed)
    pool = np.arange(args.start, min(args.stop, len(data.x_test)))
    idx = rng.choice(pool, size=min(args.count, len(pool)), replace=False)
    styles = [writer_style(rng) for _ in range(args.writers)]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    labels = []
    with open(out / "inks.jsonl", "w") as fh:
        for k, (segs, label) in enumerate(zip(digit_skeletons(data.x_test[idx]), data.y_test[idx])):
            w = k % args.writers
            ink = pen_ink(segs, int(label), styles[w], rng)
            if ink is None:
                continue
            doc = ink.to_dict()
            doc.update(label=int(label), writer=f"sim-{args.seed}-{w:02d}")
            fh.write(json.dumps(doc) + "\n")
            labels.append(int(label))
    np.save(out / "labels.npy", np.array(labels))
    print(f"wrote {len(labels)} inks by {args.writers} writers to {out / 'inks.jsonl'}")


if __name__ == "__main__":
    main()
