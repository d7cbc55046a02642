"""``digitpad finetune``: continue training a model on MNIST mixed with the user's own samples,
and report accuracy on their held-out samples and on MNIST test, before and after."""
from __future__ import annotations

import datetime as _dt
import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .. import __version__
from ..core import mnist_data
from ..core.augment import Augmentation, Augmenter
from ..core.errors import DigitPadError
from ..core.ink_augment import ink_variants
from ..core.labelled_sets import LabelledSet
from ..core.metrics import Scores
from ..core.model_info import ModelInfo
from ..core.sample_store import TEST_EVERY, SampleStore
from .evaluation import evaluate_set
from .recognizer import Recognizer
from .training import EpochBatches, StrokeMix, _prepared, finish, measure, one_hot, save, validation_size

import keras  # noqa: E402  (TensorFlow is already imported through .recognizer)

MIN_TRAIN_PER_DIGIT = 2
MIN_TEST_PER_DIGIT = 1
MAX_MNIST_DROP = 0.002  # 0.2 points


class NotEnoughSamples(DigitPadError):
    pass


@dataclass
class FinetuneConfig:
    base_model: Path
    output: Path
    store: Path | None = None
    epochs: int = 3
    batch_size: int = 128
    lr: float = 5e-4
    seed: int = 0
    mnist: str | None = None
    homemade_share: float = 0.4  # of each epoch, oversampling small collections
    variants: int = 4  # distorted redrawings of each homemade ink (core.ink_augment)
    ema: float = 0.998  # momentum of the weights' moving average; 0: keep the last weights
    mnist_per_epoch: int | None = 40_000  # of MNIST's 55,000 training digits; None: all of them
    mnist_limit: int | None = None  # smoke tests


@dataclass
class FinetuneReport:
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    mnist_drop: float = 0.0
    mnist_drop_ok: bool = True
    output: str = ""
    seconds: float = 0.0


def check_enough(y_train: np.ndarray, y_test: np.ndarray) -> list[int]:
    """Refuse when a digit has too few samples to learn from or to split; return the digits with
    no held-out sample although they have enough (the user put them all in training)."""
    def n(y, d):
        return int((y == d).sum())

    short = [d for d in range(10) if n(y_train, d) < MIN_TRAIN_PER_DIGIT or
             (n(y_test, d) < MIN_TEST_PER_DIGIT and n(y_train, d) + n(y_test, d) < TEST_EVERY)]
    if short:
        counts = ", ".join(f"{d}: {n(y_train, d)} train/{n(y_test, d)} test" for d in short)
        raise NotEnoughSamples(f"too few samples to fine-tune and test: every digit needs at least "
                               f"{MIN_TRAIN_PER_DIGIT} training and {MIN_TEST_PER_DIGIT} test samples "
                               f"(every {TEST_EVERY}th sample of a digit is kept for testing). Short: {counts}")
    return [d for d in range(10) if n(y_test, d) == 0]


def _scores(rec: Recognizer, x: np.ndarray, y: np.ndarray, mnist: mnist_data.Mnist) -> dict[str, Scores]:
    out = {"mnist_test": evaluate_set(rec, LabelledSet(mnist.x_test, mnist.y_test.astype(np.int64), "MNIST test"))}
    if len(y):
        out["homemade_test"] = evaluate_set(rec, LabelledSet(x, y, "homemade test"))
    return out


def _summary(scores: dict[str, Scores]) -> str:
    home = scores.get("homemade_test")
    return (f"homemade test {home.accuracy * 100:.2f}% ({home.count} samples), " if home else
            "homemade test: none, ") + f"MNIST test {scores['mnist_test'].accuracy * 100:.2f}%"


def base_losses(trained: dict, outputs: list[str]) -> tuple[dict, dict]:
    """The losses the base model was trained with: its label smoothing and reconstruction weight
    (the paper preset weighs reconstruction 10x less), so fine-tuning does not pull it elsewhere."""
    smoothing = float(trained.get("label_smoothing") or 0.0)
    losses = {"digit": keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)}
    weights = {"digit": 1.0}
    if "reconstruction" in outputs:
        losses["reconstruction"] = "mse"
        weights["reconstruction"] = float(trained.get("reconstruction_weight", 1.0) or 0.0)
    return losses, weights


def finetune(cfg: FinetuneConfig, log: Callable[[str], None] = print,
             progress: Callable[[int, int], None] | None = None,
             cancelled: Callable[[], bool] = lambda: False) -> FinetuneReport:
    started = time.time()
    with SampleStore(cfg.store) as store:
        train_samples = store.samples(split="train")
        hx_test, hy_test = store.arrays("test")
        store_path = str(store.path)
    hy_train = np.array([s.label for s in train_samples], np.int64)
    uids = [s.uid for s in train_samples]
    untested = check_enough(hy_train, hy_test)
    if untested:
        log(f"note: no held-out samples of digit(s) {', '.join(map(str, untested))} (all are in the training "
            f"split), so your accuracy on them is not measured")
    keras.utils.set_random_seed(cfg.seed)
    mnist = mnist_data.load(cfg.mnist)
    base = Recognizer.load(cfg.base_model)
    settings = base.info.preprocessing
    report = FinetuneReport()
    before = _scores(base, hx_test, hy_test, mnist)
    report.before = {k: v.to_dict() for k, v in before.items()}
    log(f"before: {_summary(before)}")

    stroke_mix = float(base.info.training.get("stroke_mix", 0.0) or 0.0)
    prepared = _prepared(mnist, cfg.mnist_limit, stroke_mix, log)
    mx = prepared["train"].astype(np.float32) / 255.0
    strokes = StrokeMix(prepared, stroke_mix)
    my = mnist.y_train[:len(mx)].astype(np.int64)
    n_val = validation_size(len(mx))
    x_val, y_val = mx[-n_val:], my[-n_val:]
    mx, my = mx[:-n_val], my[:-n_val]
    hx = np.stack([s.image for s in train_samples]).astype(np.float32) / 255.0  # check_enough: not empty
    # Samples with strokes are drawn again with distortions (version 0 is the sample as stored);
    # pictures without strokes get the picture distortions MNIST gets.
    with_ink = np.array([s.ink is not None and not s.ink.is_empty for s in train_samples], bool)
    versions = np.repeat(hx[:, None], 1 + cfg.variants, axis=1)
    if cfg.variants and with_ink.any():
        log(f"drawing {cfg.variants} distorted versions of {int(with_ink.sum())} homemade inks")
        drawn = ink_variants([s.ink for s, k in zip(train_samples, with_ink) if k], cfg.variants, seed=cfg.seed)
        versions[with_ink, 1:] = drawn.astype(np.float32) / 255.0
    if cancelled():
        raise DigitPadError("fine-tuning cancelled; nothing was saved")
    # Each epoch: a random part of MNIST (its size bounds the time), and the homemade digits
    # oversampled to a fixed share of the epoch, however few.
    n_mnist = min(len(mx), cfg.mnist_per_epoch or len(mx))
    n_home = max(len(hx), int(round(cfg.homemade_share / (1 - cfg.homemade_share) * n_mnist)))
    rng = np.random.default_rng(cfg.seed)
    augmenter = Augmenter(Augmentation(), seed=cfg.seed)

    def make_epoch():
        part = np.sort(rng.permutation(len(mx))[:n_mnist])
        x = augmenter(strokes.apply(mx.copy(), rng)[part])
        take = rng.integers(0, len(hx), n_home)
        home = versions[take, rng.integers(0, versions.shape[1], n_home)]
        plain = ~with_ink[take]
        home[plain] = augmenter(home[plain])
        x = np.concatenate([x, home])
        y = np.concatenate([my[part], hy_train[take]])
        return finish(x, settings)[..., None], y

    model = keras.saving.load_model(cfg.base_model, compile=False)
    steps = int(np.ceil((n_mnist + n_home) / cfg.batch_size)) * cfg.epochs
    schedule = keras.optimizers.schedules.CosineDecay(cfg.lr, decay_steps=max(1, steps), alpha=0.02)
    losses, weights = base_losses(base.info.training, model.output_names)
    # Keep the weights' moving average, as training does: the saved model depends less on the
    # last few batches, so MNIST accuracy swings less from run to run. Short runs average over
    # their last fifth at most, so the start does not linger in the result.
    momentum = min(cfg.ema, 1 - 5 / max(steps, 10))
    model.compile(optimizer=keras.optimizers.Adam(schedule, use_ema=cfg.ema > 0, ema_momentum=momentum),
                  loss=losses, loss_weights=weights)

    def targets(x, y):
        return {"digit": one_hot(y), "reconstruction": x} if "reconstruction" in losses else {"digit": one_hot(y)}

    batches = EpochBatches(make_epoch, cfg.epochs, cfg.batch_size, seed=cfg.seed, targets=targets)
    per_epoch = len(batches)

    class _Progress(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if progress:
                progress(self.epoch * per_epoch + batch + 1, per_epoch * cfg.epochs)
            if cancelled():
                self.model.stop_training = True

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_epoch_end(self, epoch, logs=None):
            log(f"epoch {epoch + 1}/{cfg.epochs} done")

    log(f"fine-tuning {base.name} for {cfg.epochs} epochs, each {n_mnist} of {len(mx)} MNIST digits + "
        f"{len(hx)} homemade digits oversampled to {n_home}")
    model.fit(batches, epochs=cfg.epochs, callbacks=[_Progress()], verbose=0)
    if cancelled():
        raise DigitPadError("fine-tuning cancelled; nothing was saved")

    info = ModelInfo(name=Path(cfg.output).stem, architecture=base.info.architecture, preprocessing=settings,
                     training={**base.info.training, "finetuned_from": str(cfg.base_model),
                               "finetune": {**{k: (str(v) if isinstance(v, Path) else v)
                                               for k, v in asdict(cfg).items()},
                                            "store": store_path, "homemade_train": int(len(hx)),
                                            "homemade_train_with_ink": int(with_ink.sum()),
                                            "homemade_test": int(len(hy_test)),
                                            "sample_uids_sha1": hashlib.sha1("\n".join(uids).encode()).hexdigest(),
                                            "duration_s": round(time.time() - started, 1)}},
                     created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                     digitpad_version=__version__)
    rec = Recognizer(model, info)
    metrics, thresholds = measure(rec, mnist, x_val, y_val, strokes.validation)
    after = _scores(rec, hx_test, hy_test, mnist)
    report.after = {k: v.to_dict() for k, v in after.items()}
    if "homemade_test" in after:
        metrics["homemade_test_accuracy"] = round(after["homemade_test"].accuracy, 6)
        metrics["homemade_test_accuracy_before"] = round(before["homemade_test"].accuracy, 6)
    metrics["mnist_test_accuracy_before"] = round(before["mnist_test"].accuracy, 6)
    report.mnist_drop = before["mnist_test"].accuracy - after["mnist_test"].accuracy
    report.mnist_drop_ok = report.mnist_drop <= MAX_MNIST_DROP + 1e-9
    metrics["mnist_drop_within_0.2_points"] = report.mnist_drop_ok
    info = ModelInfo(**{**info.__dict__, "metrics": metrics, "thresholds": thresholds})
    save(model, info, Path(cfg.output))
    report.output = str(cfg.output)
    report.seconds = time.time() - started
    log(f"after: {_summary(after)}; saved {cfg.output} ({report.seconds:.0f} s)")
    if not report.mnist_drop_ok:
        log(f"WARNING: MNIST test accuracy fell by {report.mnist_drop * 100:.2f} points (more than 0.2)")
    return report
