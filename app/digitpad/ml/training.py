"""``digitpad train``: MNIST (+ optional homemade samples), augmentation for screen-drawn digits,
TensorBoard logs, tf.distribute, and a saved model with a sidecar of measured metrics."""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .. import __version__
from ..core import mnist_data
from ..core.atomic_file import atomic_path
from ..core.augment import Augmentation, Augmenter
from ..core.labelled_sets import LabelledSet, load_labelled
from ..core.model_info import ModelInfo, write_info
from ..core.preprocess import PreprocessSettings, binarize, enhance, to_mnist_batch
from ..core.stroke_digits import stroke_versions

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from .architectures import build  # noqa: E402
from .evaluation import evaluate_set  # noqa: E402
from .recognizer import Recognizer  # noqa: E402

PREP_VERSION = 2
VALIDATION = 5000
#: Training digits redrawn as ink (plus every validation digit). A quarter of MNIST gives the
#: stroke mix plenty of variety at a third of the preparation time of redrawing all of it.
STROKE_REDRAWS = 15000

#: Per-architecture defaults: the paper's model sees the paper's preprocessing.
PRESETS = {
    "digitnet": {"preprocessing": PreprocessSettings(), "epochs": 15, "lr": 2e-3, "augment": True,
                 "stroke_mix": 0.25, "label_smoothing": 0.05, "reconstruction_weight": 1.0, "ema": 0.998},
    # The paper trains on cross-entropy (section 2.2), so the reconstruction term is light; and
    # 40,000 steps, which two cores cannot afford: mild MNIST-like distortions stand in for the
    # epochs (without them it overfits: 99.7% train, 99.1% validation after 12 epochs).
    "paper": {"preprocessing": PreprocessSettings(binarize=True, enhance=True), "epochs": 15, "lr": 1.5e-3,
              "augment": True, "stroke_mix": 0.0, "reconstruction_weight": 0.1,
              "augmentation": Augmentation(rotation_deg=8.0, shear=0.15, scale=(0.92, 1.08), aspect=0.08,
                                           thicken_p=0.05)},
}


@dataclass
class TrainConfig:
    architecture: str = "digitnet"
    output: Path = Path("models/digitpad-default.keras")
    epochs: int | None = None
    batch_size: int = 128
    seed: int = 0
    mnist: str | None = None
    extra: list[str] = field(default_factory=list)
    augment: bool | None = None
    stroke_mix: float | None = None  # share of each epoch drawn as ink (skeleton re-renders)
    limit: int | None = None  # train on the first N MNIST digits (smoke tests)
    log_dir: Path | None = None
    reconstruction_weight: float | None = None
    verbose: int | None = None

    def resolved(self) -> "TrainConfig":
        preset = PRESETS.get(self.architecture, PRESETS["digitnet"])
        out = TrainConfig(**{**asdict(self)})
        out.epochs = self.epochs or preset["epochs"]
        out.augment = preset["augment"] if self.augment is None else self.augment
        out.stroke_mix = preset["stroke_mix"] if self.stroke_mix is None else self.stroke_mix
        out.reconstruction_weight = (preset["reconstruction_weight"] if self.reconstruction_weight is None
                                     else self.reconstruction_weight)
        out.output = Path(self.output)
        return out


def cache_dir() -> Path:
    base = os.environ.get("DIGITPAD_CACHE") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digitpad"


def validation_size(n: int) -> int:
    """The last this-many MNIST training digits are held out for calibration."""
    return min(VALIDATION, n // 6)


def _prepared(mnist: mnist_data.Mnist, limit: int | None, stroke_mix: float, log) -> dict[str, np.ndarray]:
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


def one_hot(y: np.ndarray) -> np.ndarray:
    return np.eye(10, dtype=np.float32)[y]


def _strategy():
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()


def finish(batch: np.ndarray, settings: PreprocessSettings) -> np.ndarray:
    """The paper's optional steps, applied after augmentation so they see the final picture."""
    if not (settings.binarize or settings.enhance):
        return batch
    out = np.empty_like(batch)
    for i, img in enumerate(batch):
        if settings.binarize:
            img = binarize(img)
        if settings.enhance:
            img = enhance(img)
        out[i] = img
    return out


def _load_extra(paths: list[str], settings: PreprocessSettings, log) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for p in paths:
        data: LabelledSet = load_labelled(p)
        x, blank = to_mnist_batch(data.images)
        xs.append(x[~blank])
        ys.append(data.labels[~blank])
        log(f"extra data: {int((~blank).sum())} digits from {p}")
    if not xs:
        return np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64)
    return np.concatenate(xs), np.concatenate(ys)


class EpochBatches(keras.utils.PyDataset):
    """Shuffled batches of one epoch's pictures for a single ``fit`` call; each new epoch swaps in
    the pictures built meanwhile in a thread. One ``fit`` for the whole run avoids re-wrapping
    some 200 MB of arrays for TensorFlow every epoch. (TensorFlow prefetches a few batches ahead,
    so an epoch may start with a few batches of the previous epoch's pictures.)"""

    def __init__(self, make: Callable[[], tuple[np.ndarray, np.ndarray]], epochs: int, batch_size: int,
                 targets: Callable[[np.ndarray, np.ndarray], dict], seed: int = 0):
        super().__init__()
        self._make = make
        self._left = epochs
        self._batch = batch_size
        self._targets = targets
        self._rng = np.random.default_rng(seed)
        self._builder: threading.Thread | None = None
        self._built: tuple[np.ndarray, np.ndarray] | None = None
        self._started = False
        self._use(make())

    def _build(self) -> None:
        self._built = self._make()

    def _use(self, data: tuple[np.ndarray, np.ndarray]) -> None:
        x, y = data
        self._left -= 1
        if self._left > 0:  # the next epoch's pictures, built while this one trains
            self._builder = threading.Thread(target=self._build, daemon=True)
            self._builder.start()
        self._epoch = (x, y, self._rng.permutation(len(x)))  # one attribute: batches read it whole

    def __len__(self) -> int:
        return int(np.ceil(len(self._epoch[0]) / self._batch))

    def __getitem__(self, i: int):
        x, y, order = self._epoch
        take = np.sort(order[i * self._batch:(i + 1) * self._batch])
        xb = x[take]
        return xb, self._targets(xb, y[take])

    def on_epoch_begin(self) -> None:
        if self._started and self._left > 0:
            self._builder.join()
            self._use(self._built)
        self._started = True


def train(cfg: TrainConfig, log: Callable[[str], None] = print) -> dict:
    """Train, evaluate on MNIST test, save model + sidecar atomically; return the sidecar dict."""
    cfg = cfg.resolved()
    preset = PRESETS.get(cfg.architecture, PRESETS["digitnet"])
    settings: PreprocessSettings = preset["preprocessing"]
    started = time.time()
    keras.utils.set_random_seed(cfg.seed)
    mnist = mnist_data.load(cfg.mnist)
    prepared = _prepared(mnist, cfg.limit, cfg.stroke_mix, log)
    base = prepared["train"].astype(np.float32) / 255.0
    strokes = StrokeMix(prepared, cfg.stroke_mix)
    labels = mnist.y_train[:len(base)].astype(np.int64)
    n_val = validation_size(len(base))
    x_tr, y_tr, x_val, y_val = base[:-n_val], labels[:-n_val], base[-n_val:], labels[-n_val:]
    x_extra, y_extra = _load_extra(cfg.extra, settings, log)
    rng = np.random.default_rng(cfg.seed)
    augmentation: Augmentation = preset.get("augmentation", Augmentation())
    augmenter = Augmenter(augmentation, seed=cfg.seed) if cfg.augment else None

    def make_epoch():
        x = strokes.apply(x_tr.copy(), rng)
        x, y = np.concatenate([x, x_extra]), np.concatenate([y_tr, y_extra])
        if augmenter is not None:
            x = augmenter(x)
        x = finish(x, settings)
        return x[..., None], y

    steps = int(np.ceil((len(x_tr) + len(x_extra)) / cfg.batch_size)) * cfg.epochs
    with _strategy().scope():
        model = build(cfg.architecture)
        schedule = keras.optimizers.schedules.CosineDecay(
            preset["lr"] / 10, decay_steps=max(1, steps - steps // cfg.epochs), alpha=0.01,
            warmup_target=preset["lr"], warmup_steps=max(1, steps // cfg.epochs))
        smoothing = preset.get("label_smoothing", 0.0)
        # The weights' moving average over the last ~500 steps, not the last step's weights: the
        # final accuracy then depends less on where the last batches happened to leave them.
        ema = preset.get("ema", 0.0)
        optimizer = keras.optimizers.Adam(schedule, use_ema=ema > 0, ema_momentum=ema or 0.99)
        model.compile(optimizer=optimizer,
                      loss={"digit": keras.losses.CategoricalCrossentropy(label_smoothing=smoothing),
                            "reconstruction": "mse"},
                      loss_weights={"digit": 1.0, "reconstruction": cfg.reconstruction_weight},
                      metrics={"digit": "categorical_accuracy"})
    callbacks = []
    if cfg.log_dir:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(cfg.log_dir), update_freq="epoch"))
    verbose = cfg.verbose if cfg.verbose is not None else (1 if sys.stdout.isatty() else 2)
    x_val_in = finish(x_val, settings)[..., None]
    val_data = (x_val_in, {"digit": one_hot(y_val), "reconstruction": x_val_in})
    batches = EpochBatches(make_epoch, cfg.epochs, cfg.batch_size, seed=cfg.seed,
                           targets=lambda x, y: {"digit": one_hot(y), "reconstruction": x})
    log(f"training {cfg.architecture} for {cfg.epochs} epochs on {len(x_tr) + len(x_extra)} digits "
        f"(validation {n_val}), batch {cfg.batch_size}, augmentation {'on' if augmenter else 'off'}, "
        f"stroke redraws {cfg.stroke_mix:.0%}")
    model.fit(batches, epochs=cfg.epochs, validation_data=val_data, validation_freq=4, callbacks=callbacks,
              verbose=verbose)
    train_seconds = time.time() - started

    info = ModelInfo(name=cfg.output.stem, architecture=cfg.architecture, preprocessing=settings,
                     training={"epochs": cfg.epochs, "batch_size": cfg.batch_size, "seed": cfg.seed,
                               "augmentation": asdict(augmentation) if augmenter else None,
                               "stroke_mix": cfg.stroke_mix, "stroke_redraws": STROKE_REDRAWS,
                               "reconstruction_weight": cfg.reconstruction_weight, "weights_ema": preset.get("ema"),
                               "label_smoothing": preset.get("label_smoothing", 0.0),
                               "train_digits": int(len(x_tr)),
                               "validation_digits": int(n_val), "extra_data": list(cfg.extra),
                               "extra_digits": int(len(x_extra)), "mnist": mnist.source,
                               "duration_s": round(train_seconds, 1),
                               "devices": [d.name for d in tf.config.list_logical_devices()]},
                     created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                     digitpad_version=__version__)
    rec = Recognizer(model, info)
    metrics, thresholds = measure(rec, mnist, x_val, y_val, strokes.validation)
    info = ModelInfo(**{**info.__dict__, "metrics": metrics, "thresholds": thresholds})
    save(model, info, cfg.output)
    log(f"MNIST test accuracy {metrics['mnist_test_accuracy'] * 100:.2f}%; saved {cfg.output} "
        f"({time.time() - started:.0f} s in all)")
    return info.to_dict()


def measure(rec: Recognizer, mnist: mnist_data.Mnist, x_val: np.ndarray, y_val: np.ndarray,
            s_val: np.ndarray | None) -> tuple[dict, dict]:
    """Test accuracy through the same path as ``digitpad evaluate``; thresholds from validation."""
    test = evaluate_set(rec, LabelledSet(mnist.x_test, mnist.y_test.astype(np.int64), "MNIST test"))
    val_in = np.concatenate([x_val, s_val]) if s_val is not None else x_val
    val_y = np.concatenate([y_val, y_val]) if s_val is not None else y_val
    out = rec.predict(finish(val_in, rec.info.preprocessing))
    correct = out.probabilities.argmax(1) == val_y
    conf = out.probabilities.max(1)
    metrics = {"mnist_test_accuracy": round(test.accuracy, 6),
               "mnist_test_per_class": [round(float(v), 6) for v in test.per_class],
               "validation_accuracy": round(float(correct[:len(y_val)].mean()), 6)}
    if s_val is not None:
        metrics["validation_stroke_accuracy"] = round(float(correct[len(y_val):].mean()), 6)
    # Flag as "not sure" what only 1% of correctly read validation digits fall below, and as
    # "not a digit" what only 0.5% of real digits reconstruct worse than.
    thresholds = {"confidence": round(float(np.quantile(conf[correct], 0.01)), 4)}
    if out.reconstruction_errors is not None:
        thresholds["reconstruction_error"] = round(float(np.quantile(out.reconstruction_errors, 0.995)), 5)
    return metrics, thresholds


def save(model: keras.Model, info: ModelInfo, output: Path) -> None:
    """Model then sidecar, each written to a temporary and renamed: no half-written files."""
    with atomic_path(output) as tmp:
        model.save(tmp)
    write_info(output, info)
