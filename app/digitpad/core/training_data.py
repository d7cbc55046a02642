"""What one training run learns from, mixed into epochs: MNIST (prepared once and cached, a share
redrawn as ink), extra labelled sets, ink JSON Lines, a sample store, synthetic writing habits and
a bank of real pen digits.

numpy + OpenCV only: the data side of training and fine-tuning is one piece of code, built in a
thread beside TensorFlow and tested without it.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import mnist_data
from .atomic_file import atomic_path
from .augment import Augmentation, Augmenter, as_bitmap
from .errors import DataFormatError
from .ink import ink_to_mnist, iter_jsonl
from .ink_augment import ink_variants
from .labelled_sets import load_labelled
from .preprocess import SIZE, PreprocessSettings, Preprocessed, binarize, enhance, stacked, to_mnist_batch
from .sample_formats import read_samples
from .sample_store import Sample
from .stroke_digits import stroke_versions

#: Part of the prepared-MNIST cache's name: raised whenever the preprocessing changes (3: small grey
#: pictures enlarged bicubically), so training never reuses digits prepared the old way.
PREP_VERSION = 3
VALIDATION = 5000
#: Training digits redrawn as ink (plus every validation digit). A quarter of MNIST gives the
#: stroke mix plenty of variety at a third of the preparation time of redrawing all of it.
STROKE_REDRAWS = 15000
#: Synthetic writing-habit digits drawn once per run, sampled from in every epoch.
HABIT_BANK = 6000
#: Synthetic scribbles and shapes drawn once per run: always among the non-digits.
SCRIBBLE_BANK = 6000
#: The label a non-digit carries through an epoch (its digit target is uniform, its is_digit 0).
NOT_A_DIGIT = -1
#: Where a model trained on UNIPEN must say so (its licence, CC-BY-4.0, asks for the credit).
UNIPEN_CREDIT = ("UNIPEN train_r01_v07 (International Unipen Foundation), CC-BY-4.0: I. Guyon, L. Schomaker, "
                 "R. Plamondon, M. Liberman, S. Janet, \"UNIPEN project of on-line data exchange and recognizer "
                 "benchmarks\", ICPR 1994")

Log = Callable[[str], None]


def cache_dir() -> Path:
    base = os.environ.get("DIGITPAD_CACHE") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digitpad"


def validation_size(n: int) -> int:
    """The last this-many MNIST training digits are held out for calibration."""
    return min(VALIDATION, n // 6)


def prepared_mnist(mnist: mnist_data.Mnist, limit: int | None, stroke_mix: float, log: Log) -> dict[str, np.ndarray]:
    """MNIST through the shared preprocessing (and its stroke redraws), cached on disk."""
    n = len(mnist.x_train) if limit is None else min(limit, len(mnist.x_train))
    digest = hashlib.sha1(mnist.x_train[:n].tobytes() + mnist.x_test.tobytes()).hexdigest()[:16]
    path = cache_dir() / f"prepared-v{PREP_VERSION}-{digest}-{n}.npz"
    if path.is_file():
        try:
            with np.load(path) as data:
                if stroke_mix <= 0 or "strokes" in data.files:
                    return {k: data[k] for k in data.files}
        except Exception:
            pass  # a damaged cache is rebuilt
    t = time.time()
    log(f"preparing {n} training digits (first run only; cached in {path.parent})")
    train, _ = to_mnist_batch(mnist.x_train[:n])
    out = {"train": np.round(train * 255).astype(np.uint8)}
    if stroke_mix > 0:
        cut = n - validation_size(n)
        index = np.concatenate([np.arange(min(STROKE_REDRAWS, cut)), np.arange(cut, n)])
        out["stroke_index"] = index
        out["strokes"] = stroke_versions(out["train"][index])
    try:
        with atomic_path(path) as tmp:
            np.savez(tmp, **out)
    except OSError as exc:
        log(f"warning: could not cache prepared data ({exc})")
    log(f"prepared in {time.time() - t:.0f} s")
    return out


class StrokeMix:
    """Stroke redraws of MNIST digits, swapped in for their originals in a share of each epoch."""

    def __init__(self, prepared: dict[str, np.ndarray], share: float):
        n = len(prepared["train"])
        cut = n - validation_size(n)
        self.share = share if "strokes" in prepared else 0.0
        index = prepared.get("stroke_index", np.zeros(0, np.int64))
        pictures = prepared.get("strokes", np.zeros((0, 28, 28), np.uint8))
        in_train = index < cut
        self._index = index[in_train]
        self._train = pictures[in_train].astype(np.float32) / 255.0
        # every validation digit is redrawn, in order, so these line up with the validation labels
        self.validation = (pictures[~in_train].astype(np.float32) / 255.0) if self.share > 0 else None

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``x``: the training digits in MNIST order; a ``share`` of them, on average, redrawn."""
        if self.share <= 0 or len(self._index) == 0:
            return x
        p = min(1.0, self.share * len(x) / len(self._index))
        pick = rng.random(len(self._index)) < p
        x[self._index[pick]] = self._train[pick]
        return x


def finish(batch: np.ndarray, settings: PreprocessSettings) -> np.ndarray:
    """The paper's optional steps, applied after augmentation so they see the final picture (each
    of an ink's drawings on its own, in a (N, V, 28, 28) batch)."""
    if not (settings.binarize or settings.enhance):
        return batch
    if batch.ndim == 4:
        return finish(batch.reshape(-1, *batch.shape[2:]), settings).reshape(batch.shape)
    out = np.empty_like(batch)
    for i, img in enumerate(batch):
        if settings.binarize:
            img = binarize(img)
        if settings.enhance:
            img = enhance(img)
        out[i] = img
    return out


# ---------------------------------------------------------------------------------- extra data
@dataclass(frozen=True)
class ExtraSource:
    """``PATH`` or ``PATH:key=value[,key=value]``: the records of an ink JSON Lines file whose keys
    have these values (``unipen-1a-digits.jsonl:part=train``)."""

    path: str
    select: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str) -> "ExtraSource":
        head, sep, tail = spec.rpartition(":")
        if not sep or "=" not in tail or not head:
            return cls(spec)
        select = {}
        for pair in tail.split(","):
            key, eq, value = pair.partition("=")
            if not eq or not key.strip():
                raise DataFormatError(f"a selection is key=value[,key=value], got {tail!r}", head)
            select[key.strip()] = value.strip()
        return cls(head, select)

    def __str__(self) -> str:
        return self.path + (":" + ",".join(f"{k}={v}" for k, v in self.select.items()) if self.select else "")


@dataclass
class Pool:
    """Labelled extra digits. ``versions[i, 0]`` is sample i as stored; ``versions[i, 1:]`` are
    distorted redrawings of its ink (copies of version 0 when it has none)."""

    versions: np.ndarray  # (N, V, 28, 28) uint8
    labels: np.ndarray  # (N,) int64
    drawn: np.ndarray  # (N,) bool: has ink, so its variety comes from redrawing, not picture distortion
    records: list[dict] = field(default_factory=list)  # what went in, for the sidecar

    def __len__(self) -> int:
        return len(self.labels)


def _samples_of(source: ExtraSource, split: str = "test") -> list[Sample]:
    """``split``: which part of an .npz or IDX folder that holds both (training learns from ``train``)."""
    path = Path(source.path)
    if path.suffix.lower() == ".jsonl":
        return read_samples(path, "jsonl", select=source.select)
    if source.select:
        raise DataFormatError("a key=value selection applies to ink JSON Lines only", path)
    data = load_labelled(path, split)
    x, blank = to_mnist_batch(data.images)
    return [Sample(label=int(l), image=np.round(img * 255).astype(np.uint8))
            for img, l in zip(x[~blank], data.labels[~blank])]


def labelled_samples(sources: list[ExtraSource], log: Log) -> list[Sample]:
    """The digits of labelled sets, with their inks where they have them."""
    samples = []
    for source in sources:
        got = _samples_of(source)
        log(f"calibration data: {len(got)} digits from {source}")
        samples += got
    return samples


def model_pictures(samples: list[Sample], model: PreprocessSettings) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) float32 pictures and labels, no distortion: inks drawn at the model's stroke
    widths, as ``predict`` draws them ((N, V, 28, 28) for V widths), pictures as they are
    (:func:`finish` does the rest)."""
    if not samples:
        return np.zeros((0, SIZE, SIZE), np.float32), np.zeros(0, np.int64)
    settings = PreprocessSettings(stroke_ratio=model.stroke_ratio, also_ratios=model.also_ratios)
    x, blank = stacked([ink_to_mnist(s.ink, settings) if s.ink is not None
                        else Preprocessed(s.image.astype(np.float32) / 255.0) for s in samples])
    return x[~blank], np.array([s.label for s in samples], np.int64)[~blank]


def _record(name: str, samples: list[Sample], **more) -> dict:
    inks = sum(s.ink is not None for s in samples)
    return {"data": name, "digits": len(samples), "inks": inks, **more, **_credit(s.writer for s in samples)}


def extra_pool(sources: list[ExtraSource], store_samples: list[Sample] | None, store_name: str, variants: int,
               seed: int, log: Log) -> Pool:
    """Every extra digit with ``variants`` distorted redrawings of its ink."""
    samples: list[Sample] = []
    records = []
    for source in sources:
        got = _samples_of(source, "train")
        if not got:
            raise DataFormatError("no labelled digits" + (f" with {source.select}" if source.select else ""),
                                  source.path)
        log(f"extra data: {len(got)} digits from {source}")
        records.append(_record(Path(source.path).name, got, path=source.path, select=source.select or None))
        samples += got
    if store_samples:
        records.append(_record("sample store", store_samples, path=store_name, split="train"))
        samples += store_samples
    if not samples:
        return Pool(np.zeros((0, 1, SIZE, SIZE), np.uint8), np.zeros(0, np.int64), np.zeros(0, bool), records)
    labels = np.array([s.label for s in samples], np.int64)
    drawn = np.array([s.ink is not None and not s.ink.is_empty for s in samples], bool)
    versions = np.repeat(np.stack([s.image for s in samples])[:, None], 1 + max(variants, 0), axis=1)
    if variants > 0 and drawn.any():
        t = time.time()
        log(f"drawing {variants} distorted versions of {int(drawn.sum())} inks")
        versions[drawn, 1:] = ink_variants([s.ink for s, k in zip(samples, drawn) if k], variants, seed=seed)
        log(f"drawn in {time.time() - t:.0f} s")
    return Pool(versions, labels, drawn, records)


def _credit(writers) -> dict:
    return {"credit": UNIPEN_CREDIT} if any(str(w).startswith("unipen-") for w in writers) else {}


def non_digit_pool(sources: list[ExtraSource], seed: int, log: Log) -> tuple[np.ndarray, list[dict]]:
    """(N, 28, 28) uint8 model inputs of things that are not digits: letters and symbols from ink
    JSON Lines (each drawn twice with distortions) or uint8 pictures in an .npz (``x``), plus synthetic
    scribbles and shapes (``core.scribbles``)."""
    from .scribbles import scribble_pictures

    parts, records = [], []
    for source in sources:
        path = Path(source.path)
        if path.suffix.lower() == ".jsonl":
            try:
                with open(path, encoding="utf-8") as fh:
                    inks = [ink for _, ink in iter_jsonl(fh, str(path), select=source.select)]
            except (OSError, UnicodeDecodeError) as exc:
                raise DataFormatError(f"cannot read ({getattr(exc, 'strerror', None) or exc})", path) from None
            pictures = ink_variants(inks, 2, seed=seed).reshape(-1, SIZE, SIZE)
            origin = _credit(ink.extra.get("writer", "") for ink in inks)
        else:
            if source.select:
                raise DataFormatError("a key=value selection applies to ink JSON Lines only", path)
            pictures, _, origin = picture_bank(path, labelled=False)
        if not len(pictures):
            raise DataFormatError("no non-digits" + (f" with {source.select}" if source.select else ""), path)
        log(f"non-digits: {len(pictures)} pictures from {source}")
        parts.append(pictures)
        records.append({"data": path.name, "pictures": int(len(pictures)), "path": str(path),
                        "select": source.select or None, **origin})
    t = time.time()
    parts.append(scribble_pictures(SCRIBBLE_BANK, seed=seed))
    records.append({"data": "synthetic scribbles and shapes (digitpad.core.scribbles)", "pictures": SCRIBBLE_BANK})
    log(f"drew {SCRIBBLE_BANK} scribbles in {time.time() - t:.0f} s")
    return np.concatenate(parts), records


#: The most pictures a bank may hold (the shipped ones hold 8,000 and 27,471): a hostile header
#: cannot make the reader allocate more than about 1.6 GB.
MAX_BANK_PICTURES = 2_000_000


def _header_shape(data, name: str) -> tuple:
    """An .npz member's shape from its header alone, before anything is allocated."""
    with data.zip.open(f"{name}.npy") as fh:
        version = np.lib.format.read_magic(fh)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        return read(fh)[0]


def picture_bank(path: Path, *, labelled: bool) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """(pictures, labels or None, its source and credit for the sidecar) of an .npz of 28x28 uint8
    model inputs under ``x``, with digit labels under ``y`` when ``labelled``: read without
    pickles, checked, and any damage reported as one :class:`DataFormatError`. The file's own
    ``credit`` wins over the one its ``source`` implies."""
    wanted = "pictures under 'x' and labels under 'y'" if labelled else "pictures under 'x'"
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise DataFormatError(f"not an .npz of {wanted} (a single array)", path)
        with data:
            shape = _header_shape(data, "x")
            if len(shape) != 3 or shape[1:] != (SIZE, SIZE) or not 0 < shape[0] <= MAX_BANK_PICTURES:
                raise DataFormatError(f"expected 1 to {MAX_BANK_PICTURES} pictures of 28x28 under 'x', got {shape}",
                                      path)
            x = np.asarray(data["x"])
            y = np.asarray(data["y"]) if labelled else None
            origin = {k: str(data[k]) for k in ("source", "credit") if k in data.files}
    except DataFormatError:
        raise
    except Exception as exc:  # zip, zlib, header and size errors alike: the file is damaged
        raise DataFormatError(f"not an .npz of {wanted} ({type(exc).__name__}: {exc})", path) from None
    if x.dtype != np.uint8:
        raise DataFormatError(f"expected uint8 pictures, got {x.dtype}", path)
    if y is not None:
        if y.shape != (len(x),) or y.dtype.kind not in "iu" or y.min() < 0 or y.max() > 9:
            raise DataFormatError(f"expected a digit 0-9 for each of the {len(x)} pictures under 'y'", path)
        y = y.astype(np.int64)
    return x, y, {**_credit([origin.get("source", "")]), **origin}


def real_digit_bank(path: Path, log: Log) -> tuple[np.ndarray, np.ndarray, dict] | None:
    """(pictures, labels, sidecar record) of a bank of labelled digit pictures, or None, with a
    note, when it is missing: training goes on without it."""
    if not path.is_file():
        log(f"note: {path} is missing, so no real pen digits are rehearsed")
        return None
    x, y, origin = picture_bank(path, labelled=True)
    log(f"rehearsal: {len(x)} real digit pictures from {path.name}")
    return x, y, {"data": path.name, "pictures": int(len(x)), "path": str(path), "rehearsed": True, **origin}


# --------------------------------------------------------------------------------------- epochs
@dataclass
class Mix:
    """How many of each kind one epoch holds."""

    mnist: int
    extra: int
    habits: int
    non_digits: int = 0
    rehearsal: int = 0

    @classmethod
    def of(cls, n_mnist: int, n_extra_pool: int, extra_share: float, habit_share: float,
           non_digit_share: float = 0.0, rehearsal_share: float = 0.0) -> "Mix":
        """MNIST fills what the shares leave; a small extra pool is oversampled to its share, a large
        one is used whole (each digit at least once per epoch)."""
        extra_share = extra_share if n_extra_pool else 0.0
        total = n_mnist / max(1e-9, 1.0 - extra_share - habit_share - non_digit_share - rehearsal_share)
        n_extra = max(n_extra_pool, int(round(extra_share * total))) if n_extra_pool else 0
        return cls(n_mnist, n_extra, int(round(habit_share * total)), int(round(non_digit_share * total)),
                   int(round(rehearsal_share * total)))

    @property
    def digits(self) -> int:
        return self.mnist + self.extra + self.habits + self.rehearsal


class EpochMaker:
    """Builds one epoch's pictures and labels: a fresh draw of MNIST, extras, habits and rehearsed
    real digits each call."""

    def __init__(self, x_mnist: np.ndarray, y_mnist: np.ndarray, strokes: StrokeMix, pool: Pool,
                 habits: tuple[np.ndarray, np.ndarray] | None, mix: Mix, augmentation: Augmentation | None,
                 settings: PreprocessSettings, seed: int, bitmaps: float = 0.0,
                 non_digits: np.ndarray | None = None, rehearsal: tuple[np.ndarray, np.ndarray] | None = None):
        self.x, self.y, self.strokes, self.pool, self.mix = x_mnist, y_mnist, strokes, pool, mix
        self.bitmaps = bitmaps
        self.non_digits = non_digits
        self.habits = habits
        self.rehearsal = rehearsal
        self.settings = settings
        self.rng = np.random.default_rng(seed)
        self.augmenter = Augmenter(augmentation, seed=seed) if augmentation is not None else None

    def _augment(self, x: np.ndarray) -> np.ndarray:
        return self.augmenter(x) if self.augmenter is not None else x

    def __call__(self) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng
        part = np.sort(rng.permutation(len(self.x))[:self.mix.mnist])
        mnist = self._augment(self.strokes.apply(self.x.copy(), rng)[part])
        for i in np.flatnonzero(rng.random(len(mnist)) < self.bitmaps):
            mnist[i] = as_bitmap(mnist[i], rng)
        xs, ys = [mnist], [self.y[part]]
        if self.mix.extra:
            take = rng.integers(0, len(self.pool), self.mix.extra)
            home = self.pool.versions[take, rng.integers(0, self.pool.versions.shape[1], len(take))]
            home = home.astype(np.float32) / 255.0
            plain = ~self.pool.drawn[take]
            home[plain] = self._augment(home[plain])
            xs.append(home)
            ys.append(self.pool.labels[take])
        for bank, n in ((self.habits, self.mix.habits), (self.rehearsal, self.mix.rehearsal)):
            if n and bank is not None and len(bank[1]):
                take = rng.integers(0, len(bank[1]), n)
                xs.append(bank[0][take].astype(np.float32) / 255.0)
                ys.append(bank[1][take])
        if self.mix.non_digits and self.non_digits is not None and len(self.non_digits):
            take = rng.integers(0, len(self.non_digits), self.mix.non_digits)
            xs.append(self._augment(self.non_digits[take].astype(np.float32) / 255.0))
            ys.append(np.full(len(take), NOT_A_DIGIT, np.int64))
        return finish(np.concatenate(xs), self.settings)[..., None], np.concatenate(ys)
