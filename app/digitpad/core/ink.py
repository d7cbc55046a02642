"""Ink: a drawing as strokes, its JSON format, and the one rasteriser for screen and model.

Format (the contract between the canvas, the sample store and the command line)::

    {"width": W, "height": H, "strokes": [[[x, y], ...], ...], "pen_width": P}

Points are canvas pixels (origin top-left, y down), optionally ``[x, y, pressure]`` or
``[x, y, pressure, t_ms]``. ``pen_width`` is optional; extra keys are kept as they are. A missing
(or zero) ``width``/``height`` becomes one that holds the points.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import cv2
import numpy as np

from .errors import InkError
from .input_files import regular_size
from .preprocess import BOX, MODEL_STROKE_RATIO, PreprocessSettings, Preprocessed, from_ink_intensity
from .spline import densify

_SUPERSAMPLE = 4
_SHIFT = 4  # cv2 fixed-point bits: sub-pixel precise line ends
_SPLINE_STEP_PX = 2  # longest straight piece of a model-input stroke, in supersampled pixels

# What one ink may hold. Beyond these a drawing is not handwriting but an attack or a bug, and
# answering it would cost memory and time out of all proportion: it is refused with the reason.
#: Coordinates and canvas sides, in pixels (raw tablet units reach about 10^5).
MAX_COORDINATE = 1e6
MAX_POINTS = 100_000
MAX_STROKES = 10_000
#: One ink's JSON text (a line of a .jsonl, or a .json file).
MAX_INK_BYTES = 10_000_000


def default_pen_width(width: float, height: float) -> float:
    """The GUI's default brush for a canvas of this size (also the format's default)."""
    return max(1.0, round(0.05 * min(width, height), 1))


def pressure_width(pen_width: float, pressure: float) -> float:
    """Line width for a pressure in 0..1: light touches stay visible, full pressure is the pen."""
    return pen_width * (0.3 + 0.7 * min(max(pressure, 0.0), 1.0))


@dataclass(frozen=True, eq=False)
class Ink:
    width: float
    height: float
    strokes: tuple[np.ndarray, ...]  # each (n, 2..4) float64: x, y[, pressure[, t_ms]]
    pen_width: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def effective_pen_width(self) -> float:
        return self.pen_width if self.pen_width is not None else default_pen_width(self.width, self.height)

    @property
    def is_empty(self) -> bool:
        return not any(len(s) for s in self.strokes)

    def points(self) -> np.ndarray:
        pts = [s[:, :2] for s in self.strokes if len(s)]
        return np.concatenate(pts) if pts else np.zeros((0, 2))

    def with_strokes(self, strokes: Iterable[np.ndarray]) -> "Ink":
        return replace(self, strokes=tuple(np.asarray(s, np.float64) for s in strokes))

    def to_dict(self) -> dict:
        data = dict(self.extra)
        data.update(width=_num(self.width), height=_num(self.height),
                    strokes=[[[_num(v) for v in p] for p in s.tolist()] for s in self.strokes])
        if self.pen_width is not None:
            data["pen_width"] = _num(self.pen_width)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ink) and self.to_dict() == other.to_dict()


def flip_y(ink: Ink) -> Ink:
    """The ink mirrored top to bottom: for tablets and formats (UNIPEN) whose y axis points up."""
    strokes = []
    for s in ink.strokes:
        s = s.copy()
        s[:, 1] = ink.height - s[:, 1]
        strokes.append(s)
    return ink.with_strokes(strokes)


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() else round(float(v), 4)


def _positive(value: Any, key: str, source: str | None) -> float:
    try:
        ok = not isinstance(value, bool) and isinstance(value, (int, float)) and 0 < float(value) <= MAX_COORDINATE
    except OverflowError:  # a 400-digit integer
        ok = False
    if not ok:
        shown = repr(value) if len(repr(value)) < 40 else repr(value)[:37] + "..."
        raise InkError(f"'{key}' must be a positive number up to {MAX_COORDINATE:,.0f}, got {shown}", source)
    return float(value)


def ink_from_dict(data: Any, source: str | os.PathLike | None = None) -> Ink:
    """Validate a parsed JSON object; every problem is an :class:`InkError` naming the source."""
    src = None if source is None else os.fspath(source)
    if not isinstance(data, dict):
        raise InkError(f"an ink must be a JSON object, got {type(data).__name__}", src)
    if "strokes" not in data:
        raise InkError("missing key 'strokes'", src)
    # The canvas size only places the drawing on screen (model input is cropped to the ink), so
    # inks from tools that do not record it, or record 0 for a straight stroke's bounding box, are
    # given one that holds their points.
    size = {k: None if data.get(k) in (None, 0) else _positive(data[k], k, src) for k in ("width", "height")}
    pen = data.get("pen_width")
    pen = None if pen is None else _positive(pen, "pen_width", src)
    if not isinstance(data["strokes"], list):
        raise InkError("'strokes' must be a list of strokes", src)
    if len(data["strokes"]) > MAX_STROKES:
        raise InkError(f"too many strokes ({len(data['strokes']):,}; at most {MAX_STROKES:,})", src)
    strokes = []
    points = 0
    for i, stroke in enumerate(data["strokes"]):
        if not isinstance(stroke, list):
            raise InkError(f"stroke {i} must be a list of points", src)
        if not stroke:
            continue
        points += len(stroke)
        if points > MAX_POINTS:
            raise InkError(f"too many points (more than {MAX_POINTS:,})", src)
        try:
            lengths = {len(p) for p in stroke}
            arr = np.asarray(stroke, dtype=np.float64)
        except OverflowError:
            raise InkError(f"stroke {i} has a number too large for a coordinate", src) from None
        except (TypeError, ValueError):
            raise InkError(f"stroke {i} has a point that is not a list of numbers", src) from None
        if len(lengths) != 1 or arr.ndim != 2 or arr.shape[1] not in (2, 3, 4):
            raise InkError(f"stroke {i}: points must all be [x, y], [x, y, pressure] or "
                           f"[x, y, pressure, t_ms]", src)
        if not np.isfinite(arr).all():
            raise InkError(f"stroke {i} has a non-finite coordinate", src)
        if any(isinstance(v, bool) for p in stroke for v in p):
            raise InkError(f"stroke {i} has a boolean where a number belongs", src)
        if np.abs(arr[:, :2]).max() > MAX_COORDINATE:
            raise InkError(f"stroke {i} has a coordinate beyond ±{MAX_COORDINATE:,.0f} pixels", src)
        arr[np.abs(arr) < 1e-12] = 0.0  # a trillionth of a pixel is nothing; squared, it underflows
        strokes.append(arr)
    if None in size.values():
        reach = np.concatenate([s[:, :2] for s in strokes]).max(axis=0) if strokes else np.zeros(2)
        for axis, key in enumerate(("width", "height")):
            if size[key] is None:
                size[key] = float(max(1.0, math.ceil(reach[axis]) + 1))
    extra = {k: v for k, v in data.items() if k not in ("width", "height", "strokes", "pen_width")}
    return Ink(size["width"], size["height"], tuple(strokes), pen, extra)


def parse_json(text: str | bytes, source: str | os.PathLike | None = None) -> Any:
    """One ink's JSON text parsed, or an :class:`InkError` saying why not: every reader of ink
    (files, JSON Lines, imports) comes through here, so hostile text is refused the same way."""
    src = None if source is None else os.fspath(source)
    if len(text) > MAX_INK_BYTES:
        raise InkError(f"ink is too large ({len(text):,} bytes; at most {MAX_INK_BYTES:,})", src)
    # Windows tools start UTF-8 text with a byte-order mark, which JSON forbids: the first line of
    # their JSON Lines would be refused for it.
    if isinstance(text, bytes):
        text = text.removeprefix(b"\xef\xbb\xbf")
    else:
        text = text.removeprefix("\ufeff")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InkError(f"not valid JSON ({exc})", src) from None
    except RecursionError:
        raise InkError("not an ink: JSON nested too deeply", src) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InkError(f"not valid JSON ({exc})", src) from None


def parse_ink(text: str | bytes, source: str | os.PathLike | None = None) -> Ink:
    return ink_from_dict(parse_json(text, source), source)


def read_ink(path: str | os.PathLike) -> Ink:
    try:
        if regular_size(path) > MAX_INK_BYTES:
            raise InkError(f"ink file is too large (at most {MAX_INK_BYTES:,} bytes)", path)
        text = Path(path).read_bytes()
    except OSError as exc:
        raise InkError(f"cannot read ({exc.strerror or exc})", path) from None
    return parse_ink(text, path)


def write_ink(path: str | os.PathLike, ink: Ink) -> None:
    from .atomic_file import write_text

    write_text(path, ink.to_json() + "\n")


def matches(record: Mapping[str, Any], select: Mapping[str, str]) -> bool:
    """Whether a record's keys have the selected values, compared as JSON writes them
    (``part=train``, ``suspect=false``)."""
    return all((v if isinstance(v := record.get(k), str) else json.dumps(v)) == want for k, want in select.items())


def iter_jsonl(lines: Iterable[str | bytes], source: str, *, keep_going: bool = False,
               select: Mapping[str, str] | None = None) -> Iterator[tuple[str, Ink | InkError]]:
    """Inks from JSON Lines, each named ``source:line``; blank lines are skipped, and so are
    lines whose keys do not :func:`match <matches>` ``select``.

    A malformed line raises :class:`InkError`, or with ``keep_going`` is yielded as the error
    in its place, so a batch can report it and carry on.
    """
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        name = f"{source}:{number}"
        try:
            ink = parse_ink(line, name)
        except InkError as exc:
            if not keep_going:
                raise
            yield name, exc
            continue
        if not select or matches(ink.extra, select):
            yield name, ink


# ----------------------------------------------------------------------------------- rendering

def _draw(canvas: np.ndarray, strokes: Iterable[np.ndarray], widths: Iterable[np.ndarray | float],
          scale: float, offset: tuple[float, float]) -> None:
    """Anti-aliased strokes; points and ``widths`` are in ink units, scaled by ``scale``.

    Strokes of one constant width go to OpenCV in a single ``polylines`` call (the hot path for
    model input); pressure-varying strokes are drawn segment by segment.
    """
    k = 1 << _SHIFT
    batches: dict[int, list[np.ndarray]] = {}
    for stroke, width in zip(strokes, widths):
        fixed = np.round((stroke[:, :2] - offset) * (scale * k)).astype(np.int32)
        w = np.broadcast_to(np.asarray(width, np.float64) * scale, (len(fixed),))
        if len(fixed) == 1:
            cv2.circle(canvas, (int(fixed[0, 0]), int(fixed[0, 1])), max(1, round(w[0] / 2 * k)), 255,
                       -1, cv2.LINE_AA, _SHIFT)
        elif np.all(w == w[0]):
            batches.setdefault(max(1, int(round(w[0]))), []).append(fixed)
        else:
            for i in range(len(fixed) - 1):
                thickness = max(1, int(round((w[i] + w[i + 1]) / 2)))
                cv2.line(canvas, (int(fixed[i, 0]), int(fixed[i, 1])), (int(fixed[i + 1, 0]), int(fixed[i + 1, 1])),
                         255, thickness, cv2.LINE_AA, _SHIFT)
    for thickness, polys in batches.items():
        cv2.polylines(canvas, polys, False, 255, thickness, cv2.LINE_AA, _SHIFT)


def render(ink: Ink, *, scale: float = 1.0, pen_width: float | None = None, pressure: bool = True) -> np.ndarray:
    """The drawing as the user sees it: uint8, white ink on black, canvas size times ``scale``."""
    w, h = max(1, int(round(ink.width * scale))), max(1, int(round(ink.height * scale)))
    canvas = np.zeros((h, w), np.uint8)
    pen = pen_width if pen_width is not None else ink.effective_pen_width
    widths = [pressure_width(pen, 1.0) * np.ones(len(s)) if not (pressure and s.shape[1] >= 3)
              else np.array([pressure_width(pen, p) for p in s[:, 2]]) for s in ink.strokes]
    _draw(canvas, ink.strokes, widths, scale, (0.0, 0.0))
    return canvas


def render_normalised(ink: Ink, ratio: float = MODEL_STROKE_RATIO) -> np.ndarray:
    """The digit drawn at a stroke width proportional to its size, whatever brush the user had.

    The longer side of the point cloud becomes ``BOX * supersample`` pixels and the line width
    ``ratio`` times that, so big or small writing and thin or thick brushes give the same picture.
    Drawn as a one-pixel centre line dilated by a disc: the same round caps and joins as a thick
    pen, at a fraction of the cost of OpenCV's thick anti-aliased lines (the later reduction to
    20 px does the anti-aliasing).
    """
    pts = ink.points()
    if len(pts) == 0:
        return np.zeros((0, 0), np.uint8)
    # curve sparse tablet samples first; the spline may bulge past the points, so measure after
    step = float((pts.max(axis=0) - pts.min(axis=0)).max()) / (BOX * _SUPERSAMPLE / _SPLINE_STEP_PX)
    strokes = [densify(s, step) for s in ink.strokes if len(s)]
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    extent = float((hi - lo).max())
    box = BOX * _SUPERSAMPLE
    # A drawing smaller than a millionth of a pixel is a dot: scaling it up would overflow.
    scale = box / extent if extent > 1e-6 else 1.0
    stroke = max(1, int(round(ratio * box)))
    margin = stroke + 2
    size = np.ceil((hi - lo) * scale + 2 * margin).astype(int)
    canvas = np.zeros((max(1, size[1]), max(1, size[0])), np.uint8)
    k = 1 << _SHIFT
    origin = lo - margin / scale
    # one rounding for all points, then split back into strokes (inks can hold hundreds)
    fixed = np.round((pts - origin) * (scale * k)).astype(np.int32)
    lengths = [len(s) for s in strokes]
    polys = np.split(fixed, np.cumsum(lengths)[:-1])
    cv2.polylines(canvas, polys, False, 255, 1, cv2.LINE_8, _SHIFT)
    for poly in polys:  # single taps: polylines draws nothing for one point
        if len(poly) == 1:
            x, y = (poly[0] + k // 2) >> _SHIFT
            canvas[min(y, canvas.shape[0] - 1), min(x, canvas.shape[1] - 1)] = 255
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (stroke, stroke))
    return cv2.dilate(canvas, disc)


#: A stroke smaller than this share of the drawing's largest stroke is a tap, if it also lies
#: clear of the rest by more than ``TAP_GAP`` of the rest's size.
TAP_SIZE, TAP_GAP = 0.1, 0.15


def without_stray_taps(ink: Ink) -> Ink:
    """``ink`` without pen taps beside the digit (``ink`` itself when it has none).

    A tap of the pen away from the digit stretches the drawing's box, and the digit shrinks
    into a corner of the model's picture. A dot inside or touching the digit (a dotted zero, a
    flag's tip) stays: it changes no box.
    """
    strokes = [s for s in ink.strokes if len(s)]
    if len(strokes) < 2:
        return ink
    lows = np.array([s[:, :2].min(axis=0) for s in strokes])
    highs = np.array([s[:, :2].max(axis=0) for s in strokes])
    extents = (highs - lows).max(axis=1)
    tiny = extents < TAP_SIZE * float(extents.max())  # the digit's largest stroke: a far tap stretches no stroke
    if tiny.all() or not tiny.any():
        return ink
    lo, hi = lows[~tiny].min(axis=0), highs[~tiny].max(axis=0)
    gaps = np.maximum(lo - highs, lows - hi).max(axis=1)  # how far clear of the rest's box, per stroke
    stray = tiny & (gaps > TAP_GAP * float((hi - lo).max()))
    return ink.with_strokes(s for s, out in zip(strokes, stray) if not out) if stray.any() else ink


def ink_to_mnist(ink: Ink, settings: PreprocessSettings = PreprocessSettings(),
                 *, keep_stages: bool = False, stroke_ratio: float | None = None) -> Preprocessed:
    """Model input for an ink: normalised-width rendering, then the shared MNIST recipe. At
    ``stroke_ratio`` alone when it is given (training pictures), else at each of ``settings``'
    widths, the further ones as the result's ``views``."""
    if ink.is_empty:
        return Preprocessed(None, {})
    ink = without_stray_taps(ink)
    ratios = settings.ink_widths if stroke_ratio is None else (stroke_ratio,)
    # The rendering is already white ink on black, so skip to_mnist's polarity detection.
    drawn = [from_ink_intensity(render_normalised(ink, r).astype(np.float32) * np.float32(1 / 255), settings,
                                keep_stages=keep_stages and i == 0) for i, r in enumerate(ratios)]
    return replace(drawn[0], views=tuple(drawn[1:])) if len(drawn) > 1 else drawn[0]
