"""The one training run: from scratch or from a model, on a mix of MNIST, extra labelled sets, ink
JSON Lines, a sample store, synthetic writing habits and (fine-tuning) the bank of real pen
digits. ``digitpad train`` and fine-tuning (``digitpad finetune``, the app's job) are
configurations of it; every default is in :mod:`digitpad.core.training_presets`.
"""
from __future__ import annotations

import datetime as _dt
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Callable

import numpy as np

from .. import __version__
from ..core import mnist_data
from ..core.atomic_file import atomic_path
from ..core.errors import DigitPadError
from ..core.labelled_sets import LabelledSet
from ..core.model_info import ModelInfo, read_info, sidecar_path, write_info
from ..core.preprocess import main_drawings
from ..core.recognition import Predictions
from ..core.sample_store import Sample, SampleStore
from ..core.training_data import (NOT_A_DIGIT, STROKE_REDRAWS, EpochMaker, ExtraSource, Log, Mix, StrokeMix,
                                  extra_pool, finish, labelled_samples, model_pictures, non_digit_pool, prepared_mnist,
                                  real_digit_bank, validation_size)
from ..core.metrics import Scores
from ..core.model_files import resources_dir
from ..core.training_presets import (DEFAULT_ARCHITECTURE, FROM_BASE, MIN_MNIST_SHARE, NON_DIGIT_BANK,
                                     REAL_DIGIT_BANK, preset)

from .quiet_tensorflow import keras, tf  # noqa: E402

from . import reading_width  # noqa: E402
from .architectures import build  # noqa: E402
from .evaluation import evaluate_set  # noqa: E402
from .recognizer import Recognizer  # noqa: E402


class Cancelled(DigitPadError):
    pass


@dataclass
class TrainConfig:
    """``None`` means the preset's value: the architecture's when training from scratch, the
    fine-tuning preset (and the base model's losses) with ``init_from``."""

    architecture: str | None = None
    output: Path = Path("models/digitpad-default.keras")
    init_from: Path | None = None  # a model to start from; None: from scratch
    extra: list[str] = field(default_factory=list)  # labelled sets and ink JSON Lines (PATH[:key=value])
    store: Path | None = None  # a sample store: its training split joins the extras, its test split calibrates
    non_digits: list[str] = field(default_factory=list)  # letters, symbols: ink JSON Lines (PATH[:key=value])
    #                                                       or .npz pictures, besides the shipped bank
    calibration: list[str] = field(default_factory=list)  # labelled sets that only calibrate thresholds
    epochs: int | None = None
    lr: float | None = None
    batch_size: int = 128
    seed: int = 0
    mnist: str | None = None
    limit: int | None = None  # the first N MNIST training digits (smoke tests)
    mnist_per_epoch: int | None = None
    extra_share: float | None = None
    variants: int | None = None
    habits: float | None = None
    bitmaps: float | None = None
    non_digit_share: float | None = None
    rehearsal: float | None = None
    augment: bool | None = None
    stroke_mix: float | None = None
    label_smoothing: float | None = None
    reconstruction_weight: float | None = None
    ema: float | None = None
    log_dir: Path | None = None
    verbose: int | None = None

    def resolved(self) -> tuple["TrainConfig", dict]:
        """(config with every ``None`` filled in, the preset it came from)."""
        info = read_info(self.init_from) if self.init_from else None
        base = info.training if info else {}
        arch = self.architecture or (info.architecture if info else DEFAULT_ARCHITECTURE)
        defaults = preset(arch, from_model=self.init_from is not None)
        for key, fallback in FROM_BASE.items():
            if self.init_from:
                value = base.get(key)
                defaults[key] = fallback if value is None else value
        out = TrainConfig(**{f.name: getattr(self, f.name) for f in fields(self)})
        out.architecture = arch
        for f in fields(self):
            if getattr(out, f.name) is None and f.name in defaults:
                setattr(out, f.name, defaults[f.name])
        out.output = Path(self.output)
        shares = {"extra/homemade": out.extra_share, "habits": out.habits, "non-digits": out.non_digit_share,
                  "rehearsal": out.rehearsal}
        if not all(0 <= v < 1 for v in shares.values()) or sum(shares.values()) > 1 - MIN_MNIST_SHARE:
            raise DigitPadError("each epoch's shares (" + ", ".join(f"{k} {v:g}" for k, v in shares.items())
                                + f") must each be from 0 to under 1 and leave MNIST at least {MIN_MNIST_SHARE:.0%}")
        return out, defaults


def one_hot(y: np.ndarray) -> np.ndarray:
    """Digits as one-hot rows; a non-digit (``NOT_A_DIGIT``) as the uniform row: outlier exposure,
    so letters and scribbles do not earn a confident digit."""
    out = np.eye(10, dtype=np.float32)[np.maximum(y, 0)]
    out[y == NOT_A_DIGIT] = 0.1
    return out


def _strategy():
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()


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


def losses(label_smoothing: float, reconstruction_weight: float, outputs: list[str]) -> tuple[dict, dict]:
    """Cross-entropy on the digit (with label smoothing), a weighted reconstruction MSE, and a
    binary cross-entropy on ``is_digit`` for models that have it."""
    out = {"digit": keras.losses.CategoricalCrossentropy(label_smoothing=float(label_smoothing))}
    weights = {"digit": 1.0}
    if "reconstruction" in outputs:
        out["reconstruction"] = "mse"
        weights["reconstruction"] = float(reconstruction_weight)
    if "is_digit" in outputs:
        out["is_digit"] = "binary_crossentropy"
        weights["is_digit"] = 0.5
    return out, weights


def targets_for(outputs) -> Callable[[np.ndarray, np.ndarray], dict]:
    def targets(x: np.ndarray, y: np.ndarray) -> dict:
        out = {"digit": one_hot(y)}
        if "reconstruction" in outputs:
            out["reconstruction"] = x
        if "is_digit" in outputs:
            out["is_digit"] = (y != NOT_A_DIGIT).astype(np.float32)[:, None]
        return out
    return targets


def _habit_bank(share: float, seed: int, log) -> tuple[np.ndarray, np.ndarray] | None:
    if share <= 0:
        return None
    from ..core.training_data import HABIT_BANK
    from ..core.writing_habits import habit_pictures

    t = time.time()
    bank = habit_pictures(HABIT_BANK, seed=seed)
    log(f"drew {HABIT_BANK} writing-habit digits in {time.time() - t:.0f} s")
    return bank


def train(cfg: TrainConfig, log: Callable[[str], None] = print,
          progress: Callable[[int, int], None] | None = None, cancelled: Callable[[], bool] = lambda: False,
          report: Callable[[Recognizer, Scores], dict] | None = None) -> Recognizer:
    """Train, measure, save model + sidecar atomically; return the trained model's recogniser.

    ``report`` adds metrics measured on the trained model (given its MNIST test scores, measured
    once here) to the sidecar before it is written.
    Raises :class:`Cancelled` (nothing saved) when ``cancelled()`` turns true.
    """
    cfg, defaults = cfg.resolved()
    started = time.time()
    keras.utils.set_random_seed(cfg.seed)
    base = Recognizer.load(cfg.init_from) if cfg.init_from else None
    settings = base.info.preprocessing if base else defaults["preprocessing"]
    mnist = mnist_data.load(cfg.mnist)
    prepared = prepared_mnist(mnist, cfg.limit, cfg.stroke_mix, log)
    mx = prepared["train"].astype(np.float32) / 255.0
    strokes = StrokeMix(prepared, cfg.stroke_mix)
    my = mnist.y_train[:len(mx)].astype(np.int64)
    n_val = validation_size(len(mx))
    x_val, y_val, mx, my = mx[-n_val:], my[-n_val:], mx[:-n_val], my[:-n_val]
    store_samples = None
    if cfg.store:
        with SampleStore(cfg.store) as db:
            store_samples = db.samples(split="train")
    if cancelled():
        raise Cancelled("training cancelled; nothing was saved")
    pool = extra_pool([ExtraSource.parse(e) for e in cfg.extra], store_samples, str(cfg.store or ""), cfg.variants,
                      cfg.seed, log)
    if cancelled():
        raise Cancelled("training cancelled; nothing was saved")
    habits = _habit_bank(cfg.habits, cfg.seed, log)
    rehearsal = real_digit_bank(resources_dir() / REAL_DIGIT_BANK, log) if cfg.rehearsal > 0 else None
    with _strategy().scope():
        model = keras.saving.load_model(cfg.init_from, compile=False) if base else build(cfg.architecture)
    outputs = list(model.output_names)
    # Non-digits teach the is_digit output; a model without one is left as it is.
    non_digit_share = cfg.non_digit_share if "is_digit" in outputs else 0.0
    bank = resources_dir() / NON_DIGIT_BANK
    sources = ([ExtraSource(str(bank))] if bank.is_file() else []) + [ExtraSource.parse(e) for e in cfg.non_digits]
    non_digits, non_digit_records = (non_digit_pool(sources, cfg.seed, log) if non_digit_share > 0 else (None, []))
    calibration = labelled_samples([ExtraSource.parse(e) for e in cfg.calibration], log)
    if cfg.store:
        with SampleStore(cfg.store) as db:
            calibration += db.samples(split="test")
    if cancelled():
        raise Cancelled("training cancelled; nothing was saved")
    mix = Mix.of(min(len(mx), cfg.mnist_per_epoch or len(mx)), len(pool), cfg.extra_share,
                 cfg.habits if habits is not None else 0.0, non_digit_share,
                 cfg.rehearsal if rehearsal is not None else 0.0)
    augmentation = defaults["augmentation"] if cfg.augment else None
    make_epoch = EpochMaker(mx, my, strokes, pool, habits, mix, augmentation, settings, cfg.seed, cfg.bitmaps,
                            non_digits, rehearsal=rehearsal[:2] if rehearsal else None)

    # The schedule counts the digits only; the non-digits ride along, so the rate reaches its floor
    # a little before the end. The shipped model and the measured fine-tuning mixes ran this way.
    steps = int(np.ceil(mix.digits / cfg.batch_size)) * cfg.epochs
    with _strategy().scope():
        if defaults["warmup"]:
            schedule = keras.optimizers.schedules.CosineDecay(
                cfg.lr / 10, decay_steps=max(1, steps - steps // cfg.epochs), alpha=0.01,
                warmup_target=cfg.lr, warmup_steps=max(1, steps // cfg.epochs))
        else:
            schedule = keras.optimizers.schedules.CosineDecay(cfg.lr, decay_steps=max(1, steps), alpha=0.02)
        # The weights' moving average, not the last step's weights: the result depends less on
        # where the last batches happened to leave them. Short runs average over their last
        # fifth at most, so the start does not linger in the result.
        momentum = min(cfg.ema, 1 - 5 / max(steps, 10)) if cfg.ema else 0.99
        loss, weights = losses(cfg.label_smoothing, cfg.reconstruction_weight, outputs)
        model.compile(optimizer=keras.optimizers.Adam(schedule, use_ema=bool(cfg.ema), ema_momentum=momentum),
                      loss=loss, loss_weights=weights, metrics={"digit": "categorical_accuracy"})

    targets = targets_for(outputs)
    batches = EpochBatches(make_epoch, cfg.epochs, cfg.batch_size, seed=cfg.seed, targets=targets)
    per_epoch = len(batches)

    class _Progress(keras.callbacks.Callback):
        epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if progress:
                progress(self.epoch * per_epoch + batch + 1, per_epoch * cfg.epochs)
            if cancelled():
                self.model.stop_training = True

    callbacks = [_Progress()]
    if cfg.log_dir:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(cfg.log_dir), update_freq="epoch"))
    verbose = cfg.verbose if cfg.verbose is not None else (1 if sys.stdout.isatty() else 2)
    start = f"from {base.name}" if base else "from scratch"
    log(f"training {cfg.architecture} {start} for {cfg.epochs} epochs, each {mix.mnist} of {len(mx)} MNIST digits"
        + (f" + {len(pool)} extra digits oversampled to {mix.extra}" if mix.extra else "")
        + (f" + {mix.habits} writing-habit digits" if mix.habits else "")
        + (f" + {mix.rehearsal} rehearsed real digits" if mix.rehearsal else "")
        + (f" + {mix.non_digits} non-digits" if mix.non_digits else "")
        + f" (validation {n_val}), batch {cfg.batch_size}, augmentation {'on' if augmentation else 'off'}, "
        f"stroke redraws {cfg.stroke_mix:.0%}, bitmaps {cfg.bitmaps:.0%}")
    x_val_in = finish(x_val, settings)[..., None]
    val_data = None if base else (x_val_in, targets(x_val_in, y_val))
    model.fit(batches, epochs=cfg.epochs, validation_data=val_data, validation_freq=4, callbacks=callbacks,
              verbose=verbose)
    if cancelled():
        raise Cancelled("training cancelled; nothing was saved")

    data = [{"data": "MNIST", "source": mnist.source, "digits": int(len(mx)), "validation_digits": int(n_val)},
            *pool.records]
    if mix.habits:
        data.append({"data": "synthetic writing habits (digitpad.core.writing_habits)", "digits": int(len(habits[1]))})
    if mix.rehearsal:
        data.append(rehearsal[2])
    data += [{**r, "non_digits": True} for r in non_digit_records]
    record = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()
              if k not in ("output", "log_dir", "verbose", "mnist", "architecture")}
    record.update(augmentation=asdict(augmentation) if augmentation else None, stroke_redraws=STROKE_REDRAWS,
                  weights_ema=cfg.ema, train_digits=int(len(mx)), extra_digits=int(len(pool)), data=data,
                  mnist=mnist.source, epoch_mix=asdict(mix), duration_s=round(time.time() - started, 1),
                  devices=[d.name for d in tf.config.list_logical_devices()])
    training = {**base.info.training, "finetuned_from": str(cfg.init_from), "finetune": record} if base else record
    info = ModelInfo(name=cfg.output.stem, architecture=cfg.architecture, preprocessing=settings, training=training,
                     created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                     digitpad_version=__version__)
    rec = Recognizer(model, info)
    if not base:  # a fine-tuned model keeps the width its base reads at
        rec = with_reading_width(rec, calibration, log)
        info = rec.info
    metrics, thresholds, test = measure(rec, mnist, x_val, y_val, strokes.validation,
                                        model_pictures(calibration, rec.info.preprocessing))
    if report:
        metrics.update(report(rec, test))
    info = ModelInfo(**{**info.__dict__, "metrics": metrics, "thresholds": thresholds})
    save(model, info, cfg.output)
    rec = Recognizer(model, info, cfg.output)
    log(f"MNIST test accuracy {metrics['mnist_test_accuracy'] * 100:.2f}%; saved {cfg.output} "
        f"({time.time() - started:.0f} s in all)")
    return rec


def with_reading_width(rec: Recognizer, calibration: list[Sample], log: Log = print) -> Recognizer:
    """``rec`` reading ink at the widths chosen on the calibration inks (see
    :mod:`digitpad.ml.reading_width`); its sidecar records the accuracies measured."""
    inked = [s for s in calibration if s.ink is not None]
    widths, scores = reading_width.choose(rec, [s.ink for s in inked], np.array([s.label for s in inked]))
    if scores:
        log("ink stroke width on the calibration inks: " + ", ".join(
            f"{reading_width.label(w)}: {s['accuracy'] * 100:.2f}% (p {s['p_value']:.2g})" for w, s in scores.items())
            + f"; reading at {reading_width.label(widths)}")
    info = rec.info
    training = {**info.training, "reading_width": {reading_width.label(w): {
        "accuracy": round(s["accuracy"], 6), "p_value": float(f"{s['p_value']:.3g}")} for w, s in scores.items()}}
    info = ModelInfo(**{**info.__dict__, "training": training, "preprocessing": replace(
        info.preprocessing, stroke_ratio=widths[0], also_ratios=tuple(widths[1:]))})
    return Recognizer(rec.model, info, rec.path)


def measure(rec: Recognizer, mnist: mnist_data.Mnist, x_val: np.ndarray, y_val: np.ndarray,
            s_val: np.ndarray | None, calibration: tuple[np.ndarray, np.ndarray] | None = None
            ) -> tuple[dict, dict, Scores]:
    """Test accuracy through the same path as ``digitpad evaluate``; thresholds from validation
    digits (MNIST's, their stroke redraws, and ``calibration``: real ink the run did not train on)."""
    test = evaluate_set(rec, LabelledSet(mnist.x_test, mnist.y_test.astype(np.int64), "MNIST test"))
    sets = [("validation_accuracy", x_val, y_val)]
    if s_val is not None:
        sets.append(("validation_stroke_accuracy", s_val, y_val))
    if calibration is not None and len(calibration[1]):
        sets.append(("calibration_accuracy", *calibration))
    # each set alone: an ink set may hold (N, V, 28, 28), one drawing per width the model reads at
    out = Predictions.joined([rec.predict(finish(x, rec.info.preprocessing)) for _, x, _ in sets])
    truth = np.concatenate([y for _, _, y in sets])
    correct = out.probabilities.argmax(1) == truth
    metrics = {"mnist_test_accuracy": round(test.accuracy, 6),
               "mnist_test_per_class": [round(float(v), 6) for v in test.per_class]}
    start = 0
    for name, _, y in sets:
        metrics[name] = round(float(correct[start:start + len(y)].mean()), 6)
        start += len(y)
    if len(sets) > 2:
        metrics["calibration_digits"] = int(len(calibration[1]))
    return metrics, calibrate(out, correct, np.concatenate([main_drawings(x) for _, x, _ in sets])), test


#: Shares of validation digits each signal may refuse: "not sure" below what 1% of correctly read
#: digits fall under; "not a digit" where 0.15% of digits look less like one, or reconstruct worse,
#: so the two refuse at most 0.3% of digits together. 0.1% each left a quarter of unseen writers'
#: letters announced as digits or "not sure"; 0.15% was chosen on half of the ``tune`` writers'
#: letters (see ``bench/not_a_digit.py``).
NOT_SURE_QUANTILE = 0.01
REFUSAL_QUANTILE = 0.0015


def calibrate(out, correct: np.ndarray, inputs: np.ndarray) -> dict:
    """Thresholds that real digits rarely cross. A decoder that does not draw the digit back (its
    error is most of the picture's own energy, as with the paper's lightly weighted one) gives no
    reconstruction threshold: ``None``."""
    conf = out.probabilities.max(1)
    thresholds = {"confidence": round(float(np.quantile(conf[correct], NOT_SURE_QUANTILE)), 4)}
    if out.reconstruction_errors is not None:
        draws = float(np.mean(out.reconstruction_errors)) < 0.5 * float(np.mean(np.square(inputs)))
        thresholds["reconstruction_error"] = (
            round(float(np.quantile(out.reconstruction_errors, 1 - REFUSAL_QUANTILE)), 5) if draws else None)
    if out.digit_likeness is not None:
        thresholds["digit_likeness"] = round(float(np.quantile(out.digit_likeness, REFUSAL_QUANTILE)), 4)
    return thresholds


def inference_copy(model: keras.Model) -> keras.Model:
    """The same layers and weights without the optimizer: what inference needs, a quarter of the
    file (Adam's moments and the weights' average are three quarters of a compiled save)."""
    try:  # clone_model would carry the compile state over
        clone = type(model).from_config(model.get_config())
        clone.set_weights(model.get_weights())
    except Exception:  # a model that cannot be rebuilt from its config is saved as it is
        return model
    return clone


def save(model: keras.Model, info: ModelInfo, output: Path) -> None:
    """Model then sidecar, each written to a temporary and renamed: no half-written files, and no
    model left without its sidecar for a reason known beforehand."""
    for path in (Path(output), sidecar_path(output)):
        if path.is_dir():
            raise DigitPadError("cannot write here: a folder of that name exists", path)
    with atomic_path(output) as tmp:
        inference_copy(model).save(tmp)
    write_info(output, info)
