"""Whole numbers: a drawing or a picture split into its digits, each read as a single digit is.

Ink is split by its strokes: strokes that overlap horizontally belong to one digit (a 4 or a 5
written in two strokes), a stroke that only touches its neighbour does not. Pictures are split by
connected components, and a component too wide for one digit is cut where the ink is thinnest.
Where the split is uncertain, each candidate split is read and the model's confidence chooses
(``read`` is any function from model inputs to class probabilities: core stays model-free).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import cv2
import numpy as np

from .ink import Ink, ink_to_mnist
from .preprocess import INK_LEVEL, Preprocessed, PreprocessSettings, from_ink_intensity, ink_intensity, to_gray

Reader = Callable[[np.ndarray], np.ndarray]  # (N, 28, 28) model inputs -> (N, 10) probabilities
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the drawing's or picture's pixels

#: Share of the narrower of two horizontal extents that must overlap for strokes to be one digit;
#: several are tried when the drawing is ambiguous and the model's confidence picks.
OVERLAPS = (0.5, 0.25, 0.75)
MAX_DIGITS = 12


@dataclass(frozen=True)
class Piece:
    """One digit of a number: where it is and the 28x28 model input made from it."""

    box: Box
    image: np.ndarray  # (28, 28) float32, the same preprocessing as a single digit
    ink: Ink | None = None
    pre: Preprocessed | None = None  # for ink: how ``image`` was made, with its stages (the app shows them)

    @property
    def model_input(self) -> np.ndarray:
        """What the model reads: ``image``, with an ink's further widths when the model draws several."""
        return self.image if self.pre is None else self.pre.model_input


def _extent(stroke: np.ndarray) -> tuple[float, float]:
    return float(stroke[:, 0].min()), float(stroke[:, 0].max())


def group_strokes(strokes: Sequence[np.ndarray], overlap: float = 0.5, in_order: bool = False) -> list[list[int]]:
    """Stroke indices grouped into digits, left to right.

    A stroke joins a group when its horizontal extent overlaps the group's by ``overlap`` of the
    narrower of the two (a vertical stroke counts a pen's width). ``in_order``: strokes are taken
    as written and may join only the digit being written (people finish a digit before the next),
    then groups that overlap by more than ``overlap`` are merged (a 7 crossed afterwards);
    otherwise they are taken left to right and may join any group.
    """
    items = [(i, *_extent(s)) for i, s in enumerate(strokes) if len(s)]
    if not items:
        return []
    heights = [float(np.ptp(strokes[i][:, 1])) for i, _, _ in items]
    scale = max(max(heights), max(b - a for _, a, b in items), 1e-9)
    pad = 0.03 * scale  # a pen's width: a vertical stroke still has an extent to share
    items = [(i, a - pad, b + pad) for i, a, b in items]
    if not in_order:
        items.sort(key=lambda t: (t[1] + t[2]) / 2)

    def share(a0, a1, b0, b1) -> float:
        return (min(a1, b1) - max(a0, b0)) / min(a1 - a0, b1 - b0)

    groups: list[list] = []  # [indices, x0, x1]
    for i, a, b in items:
        pool = groups[-1:] if in_order else groups
        best = max(pool, key=lambda g: share(a, b, g[1], g[2]), default=None)
        if best is not None and share(a, b, best[1], best[2]) >= overlap:
            best[0].append(i)
            best[1], best[2] = min(best[1], a), max(best[2], b)
        else:
            groups.append([[i], a, b])
    merged = True
    while merged and in_order:
        merged = False
        groups.sort(key=lambda g: g[1])
        for g, h in zip(groups, groups[1:]):
            if share(g[1], g[2], h[1], h[2]) >= max(overlap, 0.5):
                g[0] += h[0]
                g[1], g[2] = min(g[1], h[1]), max(g[2], h[2])
                groups.remove(h)
                merged = True
                break
    groups.sort(key=lambda g: g[1])
    return [sorted(g[0]) for g in groups]


def _ink_pieces(ink: Ink, groups: list[list[int]], settings: PreprocessSettings) -> list[Piece] | None:
    pieces = []
    for group in groups:
        sub = ink.with_strokes([ink.strokes[i] for i in group])
        pre = ink_to_mnist(sub, settings, keep_stages=True)  # the stages cost next to nothing
        if pre.empty:
            return None
        pieces.append(Piece(strokes_box(sub.strokes), pre.image, sub, pre))
    return pieces


def strokes_box(strokes: Sequence[np.ndarray]) -> Box:
    """The box of the strokes' points: a digit's place in the drawing."""
    pts = np.concatenate([s[:, :2] for s in strokes if len(s)])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def _shape_penalty(pieces: list[Piece]) -> np.ndarray:
    """Per piece: how unlike one handwritten digit its box is. Two digits merged are wider than
    tall; a digit's loose bar or flag on its own is much smaller than its neighbours."""
    w = np.array([p.box[2] - p.box[0] for p in pieces])
    h = np.array([p.box[3] - p.box[1] for p in pieces])
    size = np.maximum(w, h)
    tall = float(np.median(h)) or 1.0
    wide = np.maximum(0.0, w / np.maximum(h, 1e-9) - 1.1)
    small = np.maximum(0.0, 0.45 - size / max(tall, float(size.max()) * 0.8))
    return 2.0 * wide + 4.0 * small


def _best(candidates: list[list[Piece]], read: Reader | None) -> list[Piece]:
    """The split whose digits read most clearly and look most like single digits. Each distinct
    piece is read once, however many candidate splits share it."""
    unique = {tuple(p.box for p in c): c for c in candidates if c}
    options = list(unique.values())
    if len(options) <= 1 or read is None:
        return options[0] if options else []
    pieces = {p.box: p for c in options for p in c}
    boxes = list(pieces)
    conf = dict(zip(boxes, read(np.stack([pieces[b].model_input for b in boxes])).max(axis=1)))

    def score(c: list[Piece]) -> float:
        logs = np.log(np.maximum([conf[p.box] for p in c], 1e-6))
        return float(np.mean(logs - _shape_penalty(c)))

    return max(options, key=score)


#: A digit is at most this many consecutive strokes (a 4, a 5 or a crossed 7 take two or three).
MAX_STROKES_PER_DIGIT = 3
#: Beyond this many strokes the drawing is grouped by overlap alone (reading every run would cost).
MAX_STROKES_READ = 60
#: Added per digit: a sum of log-confidences otherwise favours fewer, merged pieces.
DIGIT_BONUS = 0.3


def _share(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Horizontal overlap of two extents as a share of the narrower (negative: a gap)."""
    return (min(a[1], b[1]) - max(a[0], b[0])) / max(min(a[1] - a[0], b[1] - b[0]), 1e-9)


def _run_penalty(extents: list[tuple[float, float]]) -> float:
    """Strokes of one digit overlap: a run whose next stroke starts clear of the others is
    probably two digits."""
    penalty, lo, hi = 0.0, *extents[0]
    for a, b in extents[1:]:
        penalty += 3.0 * max(0.0, -0.05 - _share((lo, hi), (a, b)))
        lo, hi = min(lo, a), max(hi, b)
    return penalty


def stroke_runs(strokes: Sequence[np.ndarray]) -> tuple[list[tuple[float, float]], list[tuple[int, int]]]:
    """The strokes' padded horizontal extents, and the runs ``(i, j)`` of ``strokes[i:j]`` that may
    be one digit. Runs whose strokes stand clear of each other are left out: they would lose anyway."""
    n = len(strokes)
    scale = max(float(np.ptp(np.concatenate([s[:, 1] for s in strokes]))), 1e-9)
    pad = 0.03 * scale
    extents = [(a - pad, b + pad) for a, b in map(_extent, strokes)]
    runs = [(i, j) for i in range(n) for j in range(i + 1, min(n, i + MAX_STROKES_PER_DIGIT) + 1)
            if _run_penalty(extents[i:j]) < 1.5]
    return extents, runs


def split_ink(ink: Ink, read: Reader | None = None, settings: PreprocessSettings = PreprocessSettings()
              ) -> list[Piece]:
    """The digits of a written number, left to right (``[]`` for an empty ink).

    People write a number digit by digit, so a digit is a run of consecutive strokes. Every run of
    up to three strokes is read, and the partition of the strokes into runs whose digits read most
    clearly, look most like one digit each (shape), and keep each digit's strokes together
    (overlap) wins: recognition-driven segmentation, solved exactly by dynamic programming.
    Without a reader, strokes are grouped by overlap alone.
    """
    strokes = [s for s in ink.strokes if len(s)]
    if not strokes:
        return []
    if read is None or len(strokes) > MAX_STROKES_READ:
        groups = group_strokes(strokes, OVERLAPS[0])
        return _ink_pieces(ink.with_strokes(strokes), groups, settings) or []
    n = len(strokes)
    extents, runs = stroke_runs(strokes)
    pieces = {}
    for i, j in runs:
        made = _ink_pieces(ink.with_strokes(strokes[i:j]), [list(range(j - i))], settings)
        if made:
            pieces[(i, j)] = made[0]
    keys = list(pieces)
    conf = dict(zip(keys, read(np.stack([pieces[k].model_input for k in keys])).max(axis=1)))
    tall = max(p.box[3] - p.box[1] for p in pieces.values()) or 1.0

    def score(k) -> float:
        p = pieces[k]
        w, h = p.box[2] - p.box[0], p.box[3] - p.box[1]
        shape = 2.0 * max(0.0, w / max(h, 1e-9) - 1.2) + 4.0 * max(0.0, 0.35 - max(w, h) / tall)
        return float(np.log(max(conf[k], 1e-6))) + DIGIT_BONUS - shape - _run_penalty(extents[k[0]:k[1]])

    # best[j]: the best partition of strokes[:j]; consecutive digits that overlap a lot are penalised
    best: dict[int, tuple[float, list]] = {0: (0.0, [])}
    for j in range(1, n + 1):
        options = []
        for i in range(max(0, j - MAX_STROKES_PER_DIGIT), j):
            if i in best and (i, j) in pieces:
                total, chain = best[i]
                if chain:
                    prev = pieces[chain[-1]].box
                    here = pieces[(i, j)].box
                    total -= 3.0 * max(0.0, _share((prev[0], prev[2]), (here[0], here[2])) - 0.6)
                options.append((total + score((i, j)), chain + [(i, j)]))
        if options:
            best[j] = max(options, key=lambda o: o[0])
    if n not in best:
        return []
    return sorted((pieces[k] for k in best[n][1]), key=lambda p: (p.box[0] + p.box[2]) / 2)


# ------------------------------------------------------------------------------------ pictures
def _components(mask: np.ndarray) -> list[list[int]]:
    """Connected components as [x0, y0, x1, y1] boxes (inclusive), noise specks dropped."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return []
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = areas >= max(4, 0.02 * areas.max())
    boxes = [[int(x), int(y), int(x + w - 1), int(y + h - 1)]
             for (x, y, w, h, _), k in zip(stats[1:], keep) if k]
    return boxes


def _merge_overlapping(boxes: list[list[int]], overlap: float) -> list[list[int]]:
    """Components that overlap horizontally (a broken stroke, a 5's flag) become one digit."""
    boxes = sorted(boxes, key=lambda b: b[0])
    out: list[list[int]] = []
    for b in boxes:
        if out:
            last = out[-1]
            shared = min(b[2], last[2]) - max(b[0], last[0])
            narrow = max(1, min(b[2] - b[0], last[2] - last[0]))
            if shared / narrow >= overlap:
                out[-1] = [min(last[0], b[0]), min(last[1], b[1]), max(last[2], b[2]), max(last[3], b[3])]
                continue
        out.append(list(b))
    return out


def _cuts(column_ink: np.ndarray, parts: int) -> list[int]:
    """Columns where a too-wide blob is thinnest, for ``parts`` pieces of similar width."""
    width = len(column_ink)
    cuts = []
    for k in range(1, parts):
        centre = width * k / parts
        lo, hi = int(max(1, centre - width / (3 * parts))), int(min(width - 1, centre + width / (3 * parts)))
        cuts.append(lo + int(np.argmin(column_ink[lo:hi])) if hi > lo else int(centre))
    return cuts


def _picture_piece(ink: np.ndarray, box: Sequence[int], settings: PreprocessSettings) -> Piece | None:
    x0, y0, x1, y1 = box
    crop = np.zeros_like(ink)
    crop[y0:y1 + 1, x0:x1 + 1] = ink[y0:y1 + 1, x0:x1 + 1]
    pre = from_ink_intensity(crop[max(0, y0 - 1):y1 + 2, max(0, x0 - 1):x1 + 2], settings)
    return None if pre.empty else Piece((float(x0), float(y0), float(x1 + 1), float(y1 + 1)), pre.image)


def split_picture(image: np.ndarray, read: Reader | None = None,
                  settings: PreprocessSettings = PreprocessSettings()) -> list[Piece]:
    """The digits of a pictured number, left to right: connected components, merged where they
    overlap, and blobs wider than a digit cut where the model reads the parts best."""
    ink = ink_intensity(to_gray(np.asarray(image)))
    mask = ink > INK_LEVEL
    boxes = _components(mask)
    if not boxes:
        return []
    candidates = []
    for overlap in OVERLAPS:
        merged = _merge_overlapping(boxes, overlap)
        height = float(np.median([b[3] - b[1] + 1 for b in merged]))
        options: list[list[Box]] = [[]]
        for b in merged:
            width = b[2] - b[0] + 1
            splits = [[b]]
            if width > 1.1 * height:  # touching digits: try one more piece than the aspect says, and one fewer
                guess = max(2, int(round(width / (0.75 * height))))
                for parts in {guess - 1, guess, guess + 1} - {0, 1}:
                    cols = mask[b[1]:b[3] + 1, b[0]:b[2] + 1].sum(axis=0)
                    edges = [0, *_cuts(cols, parts), width]
                    splits.append([[b[0] + edges[k], b[1], b[0] + edges[k + 1] - 1, b[3]] for k in range(parts)])
            options = [o + s for o in options for s in splits][:27]
        for option in options:
            if len(option) > MAX_DIGITS:
                continue
            pieces = [_picture_piece(ink, box, settings) for box in option]
            if all(p is not None for p in pieces):
                candidates.append(pieces)
    return _best(candidates, read)


def digits_of_number(ink: Ink, number: str, read: Reader | None = None,
                     settings: PreprocessSettings = PreprocessSettings()) -> list[tuple[Ink, int]]:
    """A number written to a known prompt as labelled single digits, to collect and fine-tune on.

    Raises ``ValueError`` with a sentence for the writer when the drawing does not split into as
    many digits as the prompt has.
    """
    if not number.isdigit():
        raise ValueError(f"the prompt {number!r} is not a number")
    pieces = split_ink(ink, read, settings)
    if len(pieces) != len(number):
        raise ValueError(f"I see {len(pieces)} digit{'s' if len(pieces) != 1 else ''}, not {len(number)}: "
                         f"leave a little more space between digits and try again")
    return [(p.ink, int(c)) for p, c in zip(pieces, number)]
