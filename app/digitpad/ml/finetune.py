"""``digitpad finetune``: the training run started from a model, with the user's sample store in
the mix, and their held-out samples and MNIST test measured before and after."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..core import mnist_data
from ..core.errors import DigitPadError
from ..core.labelled_sets import LabelledSet, held_out_samples
from ..core.metrics import Scores
from ..core.sample_store import TEST_EVERY, SampleStore
from ..core.training_presets import MIN_TEST_PER_DIGIT, MIN_TRAIN_PER_DIGIT, finetune_shortfall
from .evaluation import evaluate_set
from .recognizer import Recognizer
from .training import TrainConfig, train

MAX_MNIST_DROP = 0.002  # 0.2 points


class NotEnoughSamples(DigitPadError):
    pass


@dataclass
class FinetuneReport:
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    mnist_drop: float = 0.0
    mnist_drop_ok: bool = True
    output: str = ""
    seconds: float = 0.0
    #: per set: (labels, read before, read after, the pictures), for the before/after report view
    readings: dict = field(default_factory=dict)
    #: per set with ids of its own (the held-out samples' store ids), for the report's captions
    ids: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """What ``finetune --json`` writes: the figures, not the pictures and arrays the report view reads."""
        return {"before": self.before, "after": self.after, "mnist_drop": self.mnist_drop,
                "mnist_drop_ok": self.mnist_drop_ok, "output": self.output, "seconds": self.seconds}


def check_enough(y_train: np.ndarray, y_test: np.ndarray) -> list[int]:
    """Refuse when a digit has too few samples to learn from or to split; return the digits with
    no held-out sample although they have enough (the user put them all in training)."""
    def n(y, d):
        return int((y == d).sum())

    short = finetune_shortfall({d: {"train": n(y_train, d), "test": n(y_test, d)} for d in range(10)})
    if short:
        counts = ", ".join(f"{d}: {n(y_train, d)} train/{n(y_test, d)} test" for d in short)
        raise NotEnoughSamples(f"Too few samples to fine-tune and test. Every digit needs at least "
                               f"{MIN_TRAIN_PER_DIGIT} training and {MIN_TEST_PER_DIGIT} test samples "
                               f"(every {TEST_EVERY}th sample of a digit is kept for testing). Short: {counts}")
    return [d for d in range(10) if n(y_test, d) == 0]


def _scores(rec: Recognizer, held_out: LabelledSet, mnist: mnist_data.Mnist,
            mnist_test: Scores | None = None) -> dict[str, Scores]:
    """Held-out homemade digits (their inks drawn at the model's width) and MNIST test
    (``mnist_test`` when it is measured already)."""
    out = {"mnist_test": mnist_test or evaluate_set(rec, LabelledSet(mnist.x_test, mnist.y_test.astype(np.int64),
                                                                     "MNIST test"))}
    if len(held_out.labels):
        out["homemade_test"] = evaluate_set(rec, held_out)
    return out


def _summary(scores: dict[str, Scores]) -> str:
    home = scores.get("homemade_test")
    return (f"homemade test {home.accuracy * 100:.2f}% ({home.count} samples), " if home else
            "homemade test: none, ") + f"MNIST test {scores['mnist_test'].accuracy * 100:.2f}%"


def finetune(cfg: TrainConfig, store: str | Path | None = None, log: Callable[[str], None] = print,
             progress: Callable[[int, int], None] | None = None,
             cancelled: Callable[[], bool] = lambda: False) -> FinetuneReport:
    """``cfg.init_from`` fine-tuned on ``store``'s training split (plus ``cfg.extra``)."""
    if cfg.init_from is None:
        raise ValueError("fine-tuning starts from a model: set init_from")
    cfg.resolved()  # settings that cannot work are refused before anything is read or measured
    started = time.time()
    with SampleStore(store) as db:
        train_samples = db.samples(split="train", with_ink=False)
        store_path = db.path
    held_out = held_out_samples(store_path, "homemade test")
    hx_test, hy_test = held_out.images, held_out.labels
    hy_train = np.array([s.label for s in train_samples], np.int64)
    untested = check_enough(hy_train, hy_test)
    if untested:
        log(f"note: no held-out samples of digit(s) {', '.join(map(str, untested))} (all are in the training "
            f"split), so your accuracy on them is not measured")
    mnist = mnist_data.load(cfg.mnist)
    base = Recognizer.load(cfg.init_from)
    report = FinetuneReport()
    before = _scores(base, held_out, mnist)
    report.before = {k: v.to_dict() for k, v in before.items()}
    log(f"before: {_summary(before)}")
    after: dict[str, Scores] = {}

    def measured(rec: Recognizer, mnist_test: Scores) -> dict:
        after.update(_scores(rec, held_out, mnist, mnist_test))
        metrics = {"mnist_test_accuracy_before": round(before["mnist_test"].accuracy, 6),
                   "homemade_train": len(train_samples), "homemade_test": int(len(hy_test)),
                   "sample_uids_sha1": hashlib.sha1("\n".join(s.uid for s in train_samples).encode()).hexdigest()}
        if "homemade_test" in after:
            metrics["homemade_test_accuracy"] = round(after["homemade_test"].accuracy, 6)
            metrics["homemade_test_accuracy_before"] = round(before["homemade_test"].accuracy, 6)
        drop = before["mnist_test"].accuracy - after["mnist_test"].accuracy
        metrics["mnist_drop_within_0.2_points"] = drop <= MAX_MNIST_DROP + 1e-9
        return metrics

    train(replace(cfg, store=store_path), log=log, progress=progress, cancelled=cancelled,
          report=measured)
    report.after = {k: v.to_dict() for k, v in after.items()}
    pictures = {"mnist_test": (mnist.y_test, mnist.x_test), "homemade_test": (hy_test, hx_test)}
    report.readings = {k: (pictures[k][0], before[k].predicted, after[k].predicted, pictures[k][1])
                       for k in after if before[k].predicted is not None and after[k].predicted is not None}
    report.ids = {"homemade_test": held_out.ids} if held_out.ids is not None else {}
    report.mnist_drop = before["mnist_test"].accuracy - after["mnist_test"].accuracy
    report.mnist_drop_ok = report.mnist_drop <= MAX_MNIST_DROP + 1e-9
    report.output = str(cfg.output)
    report.seconds = time.time() - started
    log(f"after: {_summary(after)}; saved {cfg.output} ({report.seconds:.0f} s)")
    if not report.mnist_drop_ok:
        log(f"WARNING: MNIST test accuracy fell by {report.mnist_drop * 100:.2f} points (more than 0.2)")
    return report
