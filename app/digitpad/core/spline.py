"""Curves through sparsely sampled strokes.

Tablets and browsers report pen positions at their own rate: a slow tablet (10 Hz is common in
older hardware) gives a handful of points per digit, and joining them with straight lines turns
a round 0 or 6 into a polygon the model has seldom seen. A centripetal Catmull-Rom spline passes
through every reported point and bends smoothly between them without loops or cusps. Only
segments longer than ``step`` get new points, so densely sampled ink (mouse, modern tablets) is
returned unchanged. Near-reversals (a 1's flag, the tip of a 7's stroke) stay sharp corners.
"""
from __future__ import annotations

from itertools import pairwise

import numpy as np

#: Turns sharper than this (cosine between successive segments, -0.8 is about 143 degrees) are
#: corners the writer made on purpose: the spline is cut there instead of rounding them.
CORNER_COS = -0.8


def _catmull_rom(p: np.ndarray, step: float) -> np.ndarray:
    """Centripetal (alpha 0.5) Catmull-Rom through ``p`` (n >= 3 distinct xy points).

    Evaluated in its cubic Hermite form: tangents once per segment, then one polynomial per new
    point (the same curve as the Barry-Goldman pyramid, in a third of the array operations).
    """
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])  # mirrored end controls
    d = np.diff(ext, axis=0)
    seg = np.linalg.norm(d, axis=1)
    dt = np.maximum(seg, 1e-9)[:, None] ** 0.5  # knot spacing
    v = d / dt  # chord velocities
    # tangent at each point i: v[i-1] + v[i] - (chord over both) / (both spacings)
    tangent = v[:-1] + v[1:] - (d[:-1] + d[1:]) / (dt[:-1] + dt[1:])
    m1, m2 = tangent[:-1] * dt[1:-1], tangent[1:] * dt[1:-1]
    pieces = np.maximum(1, np.ceil(seg[1:-1] / step).astype(int))
    i = np.repeat(np.arange(len(p) - 1), pieces)
    u = ((np.arange(len(i)) - np.repeat(np.cumsum(pieces) - pieces, pieces)) / pieces[i])[:, None]
    u2, u3 = u * u, u * u * u
    curve = ((2 * u3 - 3 * u2 + 1) * p[:-1][i] + (u3 - 2 * u2 + u) * m1[i]
             + (3 * u2 - 2 * u3) * p[1:][i] + (u3 - u2) * m2[i])
    return np.vstack([curve, p[-1:]])


def densify(stroke: np.ndarray, step: float, corner_cos: float = CORNER_COS) -> np.ndarray:
    """The stroke's xy path curved through its points, in pieces of about ``step`` or less.

    A straight run between two corners stays one segment. Extra columns (pressure, time) are
    dropped: the result is for drawing model input.
    """
    xy = np.asarray(stroke, np.float64)[:, :2]
    if len(xy) < 3 or step <= 0:
        return xy
    d = np.diff(xy, axis=0)
    length = np.linalg.norm(d, axis=1)
    if length.max() <= step:
        return xy
    moved = length > 1e-9  # repeated points break the knot spacing
    xy, d, length = xy[np.concatenate([[True], moved])], d[moved], length[moved]
    if len(xy) < 3:
        return xy
    cos = (d[:-1] * d[1:]).sum(axis=1) / (length[:-1] * length[1:])
    bounds = [0, *(np.nonzero(cos < corner_cos)[0] + 1), len(xy) - 1]
    parts = []
    for a, b in pairwise(bounds):
        piece = xy[a:b + 1]
        piece = _catmull_rom(piece, step) if len(piece) >= 3 else piece
        parts.append(piece if not parts else piece[1:])
    return np.vstack(parts)


def smooth_stroke(stroke: np.ndarray, step: float, corner_cos: float = CORNER_COS) -> np.ndarray:
    """The stroke as the canvas draws it: :func:`densify`'s curve (the one the model input is
    rendered from), with the pressure column, if any, carried along by distance travelled.

    Returns (n, 2) for an (m, 2) stroke, (n, 3) when there is pressure.
    """
    pts = np.asarray(stroke, np.float64)
    curve = densify(pts, step, corner_cos)
    if pts.shape[1] < 3:
        return curve
    if len(curve) == len(pts) and np.array_equal(curve, pts[:, :2]):  # nothing to curve
        return pts[:, :3]
    travelled = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts[:, :2], axis=0), axis=1))])
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))])
    if along[-1] > 0:
        along *= travelled[-1] / along[-1]  # the curve is a little longer than the chords
    return np.c_[curve, np.interp(along, travelled, pts[:, 2])]
