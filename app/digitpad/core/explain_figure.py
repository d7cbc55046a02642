"""The figure ``digitpad explain`` writes: one drawing seen through the model, drawn with OpenCV.

Top to bottom: the verdict; the 28x28 model input, the decoder's reconstruction, the occlusion
saliency over the input (red: ink that speaks for the digit, blue: against it) and the ten
probabilities; the most active channels of the first feature-map layers; the nearest MNIST test
digits on the model's latent map. Numpy and OpenCV only (no plotting library to install).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import DigitPadError
from .images import write_image
from .inside_pictures import saliency_overlay

#: What the figure can be written as (OpenCV picks the encoder by the suffix).
FIGURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
MARGIN, GAP = 24, 28
BIG = 28 * 6  # the four top panels
THUMB = 28 * 3  # feature maps and neighbours
COLUMNS = 8
WIDTH = 2 * MARGIN + COLUMNS * THUMB + (COLUMNS - 1) * 12  # = 4 BIG panels and 3 GAPs
FONT = cv2.FONT_HERSHEY_SIMPLEX
INK, GREY = (0, 0, 0), (90, 90, 90)


@dataclass(frozen=True)
class FeatureRow:
    """One layer's most active channels."""

    layer: str
    kind: str
    shape: tuple  # (H, W, C)
    channels: tuple[int, ...]
    maps: np.ndarray  # (n, H, W), in the order of ``channels``


@dataclass(frozen=True)
class Neighbours:
    images: np.ndarray  # (n, 28, 28) uint8 MNIST pictures, nearest first
    labels: tuple[int, ...]
    layer: str  # the layer the map is made of, and what it is ("autoencoder code")
    kind: str


@dataclass(frozen=True)
class Figure:
    image: np.ndarray  # (28, 28) model input, 0..1
    probabilities: np.ndarray  # (10,)
    target: int  # the digit the saliency is for
    saliency: np.ndarray  # (28, 28), + for the target, - against
    reconstruction: np.ndarray | None
    rows: list[FeatureRow]
    neighbours: Neighbours | None
    verdict: str = ""  # "digit", "not sure", "not a digit"
    reason: str = ""  # what decided a doubt or a refusal: "confidence 0.41, below 0.6"
    caption: str = ""  # where it comes from: input and model
    note: str = ""  # why there are no neighbours


def strongest_channels(maps: dict[str, np.ndarray], layers: list[tuple[str, str]],
                       n: int = COLUMNS) -> list[FeatureRow]:
    """For each ``(name, kind)`` layer, its ``n`` channels of highest mean activation, strongest first."""
    rows = []
    for name, kind in layers:
        a = np.asarray(maps[name], np.float32)
        order = tuple(int(c) for c in np.argsort(-a.mean(axis=(0, 1)), kind="stable")[:n])
        rows.append(FeatureRow(name, kind, tuple(a.shape), order, np.moveaxis(a[:, :, list(order)], -1, 0)))
    return rows


# ------------------------------------------------------------------------------------ drawing
def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")  # Hershey fonts draw ASCII only


def _text(img, text, x, y, scale=0.45, color=INK, thick=1, width=None) -> None:
    """``text`` with its baseline at ``y``; cut with "..." to fit ``width`` pixels."""
    text = _ascii(text)
    width = width or img.shape[1] - x - 4
    if cv2.getTextSize(text, FONT, scale, thick)[0][0] > width:
        while text and cv2.getTextSize(text + "...", FONT, scale, thick)[0][0] > width:
            text = text[:-1]
        text += "..."
    cv2.putText(img, text, (x, y), FONT, scale, color, thick, cv2.LINE_AA)


def _centred(img, text, cx, y, scale=0.45, color=INK, thick=1, width=THUMB + 10) -> None:
    """Centred on ``cx``, smaller (down to 0.3) or cut to fit ``width``."""
    text = _ascii(text)
    while scale > 0.3 and cv2.getTextSize(text, FONT, scale, thick)[0][0] > width:
        scale -= 0.025
    w = min(width, cv2.getTextSize(text, FONT, scale, thick)[0][0])
    _text(img, text, int(cx - w / 2), y, scale, color, thick, width)


def _grey(a: np.ndarray, size: int, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """A 2-D array as a BGR square, ``lo``..``hi`` black to white, pixels kept square (nearest)."""
    g = np.clip((np.asarray(a, np.float32) - lo) / ((hi - lo) or 1.0), 0, 1)
    g = cv2.resize((g * 255).astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST)
    return cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)


def saliency_picture(image: np.ndarray, saliency: np.ndarray, size: int = BIG) -> np.ndarray:
    """The Inside panel's overlay (red: for, blue: against, by the largest |saliency|), BGR, ``size`` square."""
    rgb = saliency_overlay(image, np.asarray(saliency, np.float32))
    return cv2.resize(np.ascontiguousarray(rgb[..., ::-1]), (size, size), interpolation=cv2.INTER_NEAREST)


def _bars(p: np.ndarray, winner: int, target: int, size: int = BIG) -> np.ndarray:
    pic = np.full((size, size, 3), 255, np.uint8)
    step = size / 10
    floor = size - 22
    for d in range(10):
        x0, x1 = int(d * step + 3), int((d + 1) * step - 3)
        h = int(round(float(p[d]) * (floor - 8)))
        color = (150, 80, 20) if d == winner else (40, 120, 230) if d == target else (170, 170, 170)
        if h:
            cv2.rectangle(pic, (x0, floor - h), (x1, floor), color, -1)
        _centred(pic, str(d), (x0 + x1) / 2, size - 6, 0.42, INK if d in (winner, target) else GREY)
    cv2.line(pic, (2, floor), (size - 3, floor), GREY, 1)
    return pic


def _paste(canvas, pic, x, y) -> None:
    canvas[y:y + pic.shape[0], x:x + pic.shape[1]] = pic


def _top_row(e: Figure) -> np.ndarray:
    row = np.full((BIG + 48, WIDTH, 3), 255, np.uint8)
    winner = int(np.argmax(e.probabilities))
    why = f"why {e.target}?" if e.target == winner else f"why not {e.target}?"
    panels = [("input (model's 28x28)", _grey(e.image, BIG), ""),
              ("reconstruction", None if e.reconstruction is None else _grey(e.reconstruction, BIG),
               "" if e.reconstruction is None else
               f"error {float(np.mean(np.square(e.reconstruction - e.image))):.4f}"),
              (why, saliency_picture(e.image, e.saliency), f"red: for {e.target}  blue: against"),
              ("probabilities", _bars(e.probabilities, winner, e.target), "")]
    for i, (title, pic, below) in enumerate(panels):
        x = MARGIN + i * (BIG + GAP)
        _text(row, title, x, 16, 0.48, width=BIG + GAP - 6)
        if pic is None:
            cv2.rectangle(row, (x, 24), (x + BIG - 1, 24 + BIG - 1), (200, 200, 200), 1)
            _centred(row, "no decoder", x + BIG / 2, 24 + BIG // 2 + 5, 0.5, GREY)
        else:
            _paste(row, pic, x, 24)
            cv2.rectangle(row, (x, 24), (x + BIG - 1, 24 + BIG - 1), (200, 200, 200), 1)
        if below:
            _text(row, below, x, 24 + BIG + 17, 0.4, GREY, width=BIG + GAP - 6)
    return row


def _thumbs(pics: list[np.ndarray], above: list[str], below: list[str], heading: str) -> np.ndarray:
    top = 44 if any(above) else 28
    row = np.full((top + THUMB + (22 if any(below) else 6), WIDTH, 3), 255, np.uint8)
    _text(row, heading, MARGIN, 18, 0.5)
    for i, pic in enumerate(pics):
        x = MARGIN + i * (THUMB + 12)
        if above[i]:
            _centred(row, above[i], x + THUMB / 2, top - 5, 0.4, GREY)
        _paste(row, pic, x, top)
        if below[i]:
            _centred(row, below[i], x + THUMB / 2, top + THUMB + 17, 0.5)
    return row


def _feature_row(r: FeatureRow) -> np.ndarray:
    pics = []
    for m in r.maps:  # each channel by its own peak, as the Inside panel's mosaic: weak ones still show
        grey = _grey(m, THUMB, 0.0, float(np.max(np.abs(m))))[..., 0]
        pics.append(cv2.applyColorMap(grey, cv2.COLORMAP_VIRIDIS))
    h, w, c = r.shape
    heading = f"{r.layer} ({r.kind}, {h}x{w}x{c}): the {len(r.channels)} most active of {c} channels"
    return _thumbs(pics, [f"{r.layer} #{ch}" for ch in r.channels], [""] * len(pics), heading)


def _note_row(text: str) -> np.ndarray:
    row = np.full((40, WIDTH, 3), 255, np.uint8)
    _text(row, text, MARGIN, 24, 0.45, GREY)
    return row


def render(e: Figure) -> np.ndarray:
    """The whole figure, BGR uint8."""
    winner = int(np.argmax(e.probabilities))
    head = np.full((74, WIDTH, 3), 255, np.uint8)
    verdict = f"; verdict: {e.verdict}" if e.verdict else ""
    _text(head, f"reads {winner}, {float(e.probabilities[winner]) * 100:.1f}% confident{verdict}", MARGIN, 32, 0.8,
          thick=2)
    _text(head, f"{e.reason}.   {e.caption}" if e.reason else e.caption, MARGIN, 58, 0.45, GREY)
    parts = [head, _top_row(e)] + [_feature_row(r) for r in e.rows]
    if not e.rows:
        parts.append(_note_row("no feature maps: the model has no convolution layers"))
    if e.neighbours is not None:
        n = e.neighbours
        parts.append(_thumbs([_grey(im / 255.0, THUMB) for im in n.images], [""] * len(n.images),
                             [str(v) for v in n.labels],
                             f"the {len(n.images)} nearest MNIST test digits in layer {n.layer}, the {n.kind}"))
    elif e.note:
        parts.append(_note_row(e.note))
    parts.append(np.full((MARGIN // 2, WIDTH, 3), 255, np.uint8))
    return np.vstack(parts)


def check_suffix(path: str | os.PathLike) -> None:
    if Path(path).suffix.lower() not in FIGURE_SUFFIXES:
        raise DigitPadError("name the figure .png (or " + ", ".join(FIGURE_SUFFIXES[1:]) + ")", path)


def save_figure(e: Figure, path: str | os.PathLike) -> None:
    """Written to a temporary name and renamed: a failure leaves no partial file."""
    check_suffix(path)
    write_image(path, render(e))
