"""Any digit picture -> the 28x28 float32 input the models were trained on (the MNIST recipe).

Training, evaluation, ``predict`` and the GUI all call :func:`to_mnist`, so what a model learnt
from and what it sees later cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from .paper import CLEAR_INK, border_level, even_light, ground, without_strays

SIZE = 28
BOX = 20
#: Pixels above this (after normalising ink to 0..1) count as ink for the bounding box.
INK_LEVEL = 0.15
#: Below this much contrast between ink and background the picture is treated as blank.
MIN_CONTRAST = 0.08


#: Stroke width relative to the longer side of the digit's bounding box when drawing ink as model
#: input, unless a model's sidecar says otherwise. 0.14 gives 2.5 px strokes in the 20 px MNIST box:
#: the median MNIST stroke width (ink mass / skeleton length over the training set).
MODEL_STROKE_RATIO = 0.14
#: What a sidecar may ask for: beyond these a digit is a hairline or a blob.
STROKE_RATIO_RANGE = (0.04, 0.3)


@dataclass(frozen=True)
class PreprocessSettings:
    """How a model wants its input prepared; stored in each model's sidecar."""

    binarize: bool = False  # threshold at the mean pixel brightness (paper eq. 1-2)
    enhance: bool = False  # bilinear 28 -> 25 -> 28 (paper section 3.1)
    #: The width ink is drawn at for this model: chosen when it is trained, on real ink it did not
    #: learn from (:mod:`digitpad.ml.reading_width`), and kept when it is fine-tuned.
    stroke_ratio: float = MODEL_STROKE_RATIO
    #: Further widths the ink is also drawn at; the class probabilities of all the drawings are
    #: averaged (chosen with ``stroke_ratio``). Pictures are read once, as they are.
    also_ratios: tuple[float, ...] = ()

    @property
    def ink_widths(self) -> tuple[float, ...]:
        """Every width ink is drawn at for this model, its main one first."""
        return (self.stroke_ratio, *self.also_ratios)

    def to_dict(self) -> dict:
        data = {"binarize": self.binarize, "enhance": self.enhance, "stroke_ratio": self.stroke_ratio}
        if self.also_ratios:
            data["also_stroke_ratios"] = list(self.also_ratios)
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> "PreprocessSettings":
        """Raises ValueError for a stroke ratio that is not a number in :data:`STROKE_RATIO_RANGE`,
        or more than :data:`MAX_ALSO_RATIOS` further ones."""
        data = data or {}
        also = data.get("also_stroke_ratios", [])
        if not isinstance(also, list) or len(also) > MAX_ALSO_RATIOS:
            raise ValueError(f"'also_stroke_ratios' must be a list of at most {MAX_ALSO_RATIOS} numbers, got {also!r:.80}")
        return cls(binarize=bool(data.get("binarize", False)), enhance=bool(data.get("enhance", False)),
                   stroke_ratio=_ratio(data.get("stroke_ratio", MODEL_STROKE_RATIO), "stroke_ratio"),
                   also_ratios=tuple(_ratio(r, "also_stroke_ratios") for r in also))


#: Each further width costs one more forward pass per drawing.
MAX_ALSO_RATIOS = 3


def _ratio(value, key: str) -> float:
    lo, hi = STROKE_RATIO_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ValueError(f"{key!r} must be a number from {lo} to {hi}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Preprocessed:
    """``image`` is None when the input held no ink; ``stages`` maps stage name -> array."""

    image: np.ndarray | None
    stages: dict[str, np.ndarray] = field(default_factory=dict)
    #: the centred 28x28 picture before the optional binarisation and enhancement
    centred: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: the same ink drawn at the model's further widths, read with ``image`` (see ``also_ratios``)
    views: tuple["Preprocessed", ...] = field(default=(), repr=False, compare=False)

    @property
    def empty(self) -> bool:
        return self.image is None

    @property
    def model_input(self) -> np.ndarray:
        """(28, 28), or (1 + views, 28, 28) when the ink is read at several widths."""
        if not self.views:
            return self.image
        return np.stack([self.image, *(v.image for v in self.views)])


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grayscale float32 in 0..1 from gray, RGB(A), any integer/float/bool dtype."""
    img = np.asarray(image)
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (3, 4)):
        raise ValueError(f"expected a 2-D grayscale or RGB/RGBA image, got shape {img.shape}")
    if np.issubdtype(img.dtype, np.integer):
        scale = float(np.iinfo(img.dtype).max)
        if img.dtype != np.uint8 and img.size and img.min() >= 0:
            # by the bits in use: 8-bit values in a wider type, a scanner's 10, 12 or 14 bits in 16
            scale = float(2 ** max(8, int(img.max()).bit_length()) - 1)
        img = img.astype(np.float32) / scale
    else:
        img = np.nan_to_num(img.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        if img.size and (img.max() > 1.0 or img.min() < 0.0):
            # halves keep (hi - lo) finite even for values near the float64 limits
            lo, hi = float(img.min()) / 2, float(img.max()) / 2
            img = (img / 2 - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
        img = img.astype(np.float32)
    if img.ndim == 2:
        return img
    rgb = img[:, :, :3]
    gray = rgb[:, :, 0] * 0.299 + rgb[:, :, 1] * 0.587 + rgb[:, :, 2] * 0.114
    if img.shape[2] == 4:
        alpha = img[:, :, 3]
        if float(alpha.min()) < 0.99:
            # Ink on a transparent sheet: composite onto whichever backdrop contrasts with the ink.
            opaque = alpha > 0.5
            ink_is_dark = float(gray[opaque].mean()) < 0.5 if opaque.any() else True
            backdrop = 1.0 if ink_is_dark else 0.0
            gray = gray * alpha + backdrop * (1.0 - alpha)
    return gray.astype(np.float32)


def ink_intensity(gray: np.ndarray) -> np.ndarray:
    """Light ink on dark, 0..1, whatever the input polarity (the border gives the background,
    after a photo's uneven light is divided out)."""
    background, dark_ink = ground(gray)
    flattened = even_light(gray, dark_ink)
    if flattened is not gray:  # the paper is now even: its level is read again, its polarity stays
        gray, background = flattened, border_level(flattened)
    ink = background - gray if dark_ink else gray - background
    ink = np.clip(ink, 0.0, None)
    top = _ink_strength(ink.ravel())
    if top < MIN_CONTRAST:
        return np.zeros_like(gray)
    return np.clip(ink / top, 0.0, 1.0).astype(np.float32)


_STROKE_PIXELS = 30  # fewer pixels clear of the paper than this are a speck, not a digit's strokes


def _kth_largest(values: np.ndarray, k: int) -> float:
    return float(np.partition(values, values.size - 1 - k)[values.size - 1 - k])


def _ink_strength(flat: np.ndarray) -> float:
    """The level that counts as full ink: a high quantile rather than the maximum, so one hot
    pixel cannot set the scale (0.0 for a blank picture)."""
    # Only pixels off the paper are ranked: a clean picture's paper is one value, millions of
    # times over, on which numpy's selection is a hundred times slower.
    inked = flat[flat > 0]
    top = _kth_largest(inked, flat.size // 1000) if inked.size > flat.size // 1000 else 0.0
    # Ink under 0.1% of the picture (a small digit on a whole page) leaves that quantile in the
    # paper's grain; the pixels that stand clear of the grain then give the ink's own strength,
    # if there are enough of them to be strokes rather than a speck of dust.
    clear = inked[inked >= CLEAR_INK]
    if clear.size < max(_STROKE_PIXELS, flat.size // 10_000):
        return top
    return max(top, _kth_largest(clear, clear.size // 10))


#: Strokes that would end up thinner than this (px, in the 20 px box) are thickened to
#: ``THIN_TARGET_PX``: a fine pen on a big scan must not fade away when shrunk.
THIN_LIMIT_PX = 1.2
THIN_TARGET_PX = 2.0
_WORK_SIDE = 2 * BOX  # bilinear from here to BOX averages 2x2: no aliasing


def stroke_width(binary: np.ndarray) -> float:
    """Mean stroke width in pixels: twice the area over the outline length (1 for a 1-px line)."""
    b = np.pad(binary.astype(np.uint8), 1)
    area = int(b.sum())
    if area == 0:
        return 0.0
    contours, _ = cv2.findContours(b, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * area / max(perimeter, 1.0)


def _shrink_to_work_size(crop: np.ndarray) -> np.ndarray:
    """Area-average big crops down to twice the final box, keeping faint thin lines visible."""
    h, w = crop.shape
    if max(h, w) <= _WORK_SIDE:
        return crop
    f = _WORK_SIDE / max(h, w)
    work = cv2.resize(crop, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    # Rescale so a typical stroke pixel (not the brightest crossing) is full ink again.
    inked = work[work > 0.1 * float(work.max())]
    top = float(np.percentile(inked, 90)) if inked.size else 0.0
    return np.clip(work / top, 0, 1) if top > 0 else work


def _thicken_thin_strokes(work: np.ndarray) -> np.ndarray:
    side = max(work.shape)
    px_per_out = side / BOX
    width = stroke_width(work > 0.5) / px_per_out
    if width <= 0 or width >= THIN_LIMIT_PX:
        return work
    k = int(round((THIN_TARGET_PX - width) * px_per_out))
    if k < 2:
        return work
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    pad = k
    grown = cv2.dilate(np.pad(work, pad), kernel)
    return grown


#: Enlarged more than this many times, a grey picture is interpolated bicubically (see :func:`_to_box`).
CUBIC_FROM = 1.0
#: A picture with at most this share of its ink-box pixels in the middle band of grey is a
#: two-level bitmap (a binary scan, a form's 1-bit cell), not a grey picture. The band is wide
#: enough that a bitmap saved as JPEG, whose ringing greys the pixels round each edge a little,
#: is still a bitmap.
_TWO_LEVEL_SHARE = 0.05
_MIDDLE_GREY = (0.25, 0.75)


def two_level(img: np.ndarray) -> bool:
    """Whether ``img`` (ink in 0..1) is a bitmap: (almost) only paper and full ink."""
    lo, hi = _MIDDLE_GREY
    return float(np.mean((img > lo) & (img < hi))) <= _TWO_LEVEL_SHARE


def _to_box(work: np.ndarray, width: int, height: int) -> np.ndarray:
    """The crop resized to its place in the 20 px box. A grey picture smaller than the box (an
    8x8 map of ink counts, a 12-18 px scan) is smeared faint by bilinear enlargement; bicubic
    keeps its strokes crisp, and the shipped model reads it better so. A two-level bitmap stays
    bilinear: the model learnt small bitmaps so (``augment.as_bitmap``) and reads them worse
    bicubic. (Figures: the README's "Small grey pictures".)"""
    if max(width / work.shape[1], height / work.shape[0]) > CUBIC_FROM and not two_level(work):
        return np.clip(cv2.resize(work, (width, height), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)
    return cv2.resize(work, (width, height), interpolation=cv2.INTER_LINEAR)


def centre_of_mass_shift(img: np.ndarray) -> np.ndarray:
    """Shift (sub-pixel, bilinear) so the centre of mass lands on the image centre."""
    m = cv2.moments(img)
    if m["m00"] <= 0:
        return img
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    h, w = img.shape
    m = np.float32([[1, 0, (w - 1) / 2.0 - cx], [0, 1, (h - 1) / 2.0 - cy]])
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def binarize(img: np.ndarray) -> np.ndarray:
    """The paper's threshold: the mean brightness of the picture (eqs. 1-2)."""
    return (img > float(img.mean())).astype(np.float32)


def enhance(img: np.ndarray) -> np.ndarray:
    """The paper's bilinear 28 -> 25 -> 28 "enhancement"."""
    small = cv2.resize(img, (25, 25), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(small, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)


def to_mnist(image: np.ndarray, settings: PreprocessSettings = PreprocessSettings(),
             *, keep_stages: bool = False) -> Preprocessed:
    """Crop to the ink, scale the longer side to 20 px, paste into 28x28, centre by mass.

    Parameters
    ----------
    image : gray, RGB or RGBA array of any size and polarity.
    settings : the paper's optional binarisation and enhancement.
    keep_stages : also return each intermediate picture (the GUI shows them).
    """
    img = np.asarray(image)
    if img.size == 0 or min(img.shape[:2]) == 0:
        return Preprocessed(None, {})
    ink = ink_intensity(to_gray(img))
    kept = without_strays(ink, INK_LEVEL)
    if kept is not ink:  # a dark line or speck that is gone must not have set the ink's scale
        strokes = kept[kept > INK_LEVEL]
        top = _kth_largest(strokes, strokes.size // 100) if strokes.size else 0.0
        if top >= MIN_CONTRAST:  # the strokes are scaled up; the paper's grain must stay paper
            scaled = np.clip(kept / top, 0.0, 1.0)
            kept = np.where(kept > INK_LEVEL, scaled, np.minimum(scaled, INK_LEVEL)).astype(np.float32)
    return from_ink_intensity(kept, settings, keep_stages=keep_stages)


def from_ink_intensity(ink: np.ndarray, settings: PreprocessSettings = PreprocessSettings(),
                       *, keep_stages: bool = False) -> Preprocessed:
    """The MNIST recipe from light-on-dark ink in 0..1 onwards: :func:`to_mnist` after its
    polarity step, for callers that drew the ink themselves and know it is already that."""
    stages: dict[str, np.ndarray] = {"ink": ink} if keep_stages else {}
    rows = np.flatnonzero((ink > INK_LEVEL).any(axis=1))
    cols = np.flatnonzero((ink > INK_LEVEL).any(axis=0))
    if rows.size == 0:
        return Preprocessed(None, stages)
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    work = _thicken_thin_strokes(_shrink_to_work_size(crop))
    if work is not crop:
        r = np.flatnonzero((work > INK_LEVEL).any(axis=1))
        c = np.flatnonzero((work > INK_LEVEL).any(axis=0))
        work = work[r[0]:r[-1] + 1, c[0]:c[-1] + 1]
    h, w = work.shape
    scale = BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    scaled = _to_box(work, new_w, new_h)
    canvas = np.zeros((SIZE, SIZE), np.float32)
    top, left = (SIZE - new_h) // 2, (SIZE - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = scaled
    centred = centre_of_mass_shift(canvas)
    if keep_stages:
        stages.update(cropped=crop, scaled=scaled, centred=centred)
    return _finished(centred, settings, stages, keep_stages)


def refinished(pre: Preprocessed, settings: PreprocessSettings) -> Preprocessed | None:
    """``pre``'s input as ``settings`` finish it (binarised, enhanced or neither), without its
    stages: a second model reading the same drawing at the same stroke width skips the shared
    recipe. None when ``pre`` does not hold its centred picture."""
    if pre.empty:
        return pre
    if pre.centred is None or any(v.centred is None for v in pre.views):
        return None
    return replace(_finished(pre.centred, settings, {}, False),
                   views=tuple(_finished(v.centred, settings, {}, False) for v in pre.views))


def _finished(centred: np.ndarray, settings: PreprocessSettings, stages: dict[str, np.ndarray],
              keep_stages: bool) -> Preprocessed:
    out = centred
    if settings.binarize:
        out = binarize(out)
        if keep_stages:
            stages["binarized"] = out
    if settings.enhance:
        out = enhance(out)
        if keep_stages:
            stages["enhanced"] = out
    out = np.clip(out, 0.0, 1.0).astype(np.float32)
    if float(out.max()) <= 0.0:
        return Preprocessed(None, stages)
    return Preprocessed(out, stages, centred)


def stacked(results: list[Preprocessed]) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) float32 model inputs (zeros for blank ones) and the mask of blank ones; (N, V,
    28, 28) when an ink among them is read at V widths (a picture's V are copies of it)."""
    views = 1 + max((len(r.views) for r in results), default=0)
    out = np.zeros((len(results), views, SIZE, SIZE), np.float32)
    blank = np.array([r.empty for r in results], bool)
    for i, result in enumerate(results):
        if not result.empty:
            out[i] = result.model_input
    return (out[:, 0] if views == 1 else out), blank


def main_drawings(x: np.ndarray) -> np.ndarray:
    """(N, 28, 28): each input's first picture, the one shown (an ink's drawing at its main width)."""
    return x[:, 0] if x.ndim == 4 else x


def to_mnist_batch(images, settings: PreprocessSettings = PreprocessSettings()) -> tuple[np.ndarray, np.ndarray]:
    """Preprocess many pictures; returns (N, 28, 28) float32 and a boolean mask of blank ones."""
    return stacked([to_mnist(img, settings) for img in images])
