"""Every default of a training run, written once.

A run either starts from scratch (one preset per architecture) or from a model (``FINETUNE``:
the shipped fine-tuning). ``digitpad train``/``finetune`` help, the app's fine-tuning job and the
sidecar all read these, so they cannot drift apart. TensorFlow-free: the CLI's ``--help`` and the
GUI read them without loading it.
"""
from __future__ import annotations

from .augment import Augmentation
from .preprocess import PreprocessSettings

#: Keys a run may set; a preset gives each one a value (``None`` in a config means "the preset's").
#: ``extra_share``: share of each epoch drawn from the extra sets and the sample store (small
#: collections are oversampled); ``variants``: distorted redrawings of each extra ink;
#: ``habits``: share of each epoch drawn from synthetic writing habits (``core.writing_habits``);
#: ``non_digit_share``: share of letters, symbols and scribbles, for models with an ``is_digit``
#: output (the shipped bank ``resources/non-digits.npz``, ``--non-digits`` sets, ``core.scribbles``);
#: ``bitmaps``: share of MNIST pictures turned into small, often binary, bitmaps and back
#: (``core.augment.as_bitmap``); ``mnist_per_epoch``: MNIST training digits per epoch (``None``: all);
#: ``rehearsal``: share of real pen digits from the shipped bank ``resources/real-digits.npz``, so
#: that fine-tuning does not forget writing habits its samples lack (from scratch the real ink is
#: in ``--extra`` itself).
PRESETS: dict[str, dict] = {
    "digitnet": {"preprocessing": PreprocessSettings(), "epochs": 15, "lr": 2e-3, "warmup": True,
                 "augment": True, "augmentation": Augmentation(), "stroke_mix": 0.25, "label_smoothing": 0.05,
                 "reconstruction_weight": 1.0, "ema": 0.998, "extra_share": 0.3, "variants": 5,
                 "habits": 0.03, "bitmaps": 0.06, "non_digit_share": 0.1, "mnist_per_epoch": None, "rehearsal": 0.0},
    # The paper trains on cross-entropy (section 2.2), so the reconstruction term is light; and
    # 40,000 steps, which two cores cannot afford: mild MNIST-like distortions stand in for the
    # epochs (without them it overfits: 99.7% train, 99.1% validation after 12 epochs).
    "paper": {"preprocessing": PreprocessSettings(binarize=True, enhance=True), "epochs": 15, "lr": 1.5e-3,
              "warmup": True, "augment": True,
              "augmentation": Augmentation(rotation_deg=8.0, shear=0.15, scale=(0.92, 1.08), aspect=0.08,
                                           thicken_p=0.05),
              "stroke_mix": 0.0, "label_smoothing": 0.0, "reconstruction_weight": 0.1, "ema": 0.0,
              "extra_share": 0.25, "variants": 5, "habits": 0.0, "bitmaps": 0.0, "non_digit_share": 0.0,
              "mnist_per_epoch": None, "rehearsal": 0.0},
}
DEFAULT_ARCHITECTURE = "digitnet"
#: Handwritten letters that do not look like digits, as model inputs: always among the
#: non-digits, so fine-tuning keeps the is_digit output working without the letters' source.
NON_DIGIT_BANK = "non-digits.npz"
#: Real pen digits of the UNIPEN ``train`` writers as model inputs (``packaging/make_real_digit_bank.py``),
#: rehearsed while fine-tuning.
REAL_DIGIT_BANK = "real-digits.npz"

#: Starting from a model: a short run at a lower rate, MNIST kept in the mix so the model does
#: not forget it, the user's samples oversampled to a fixed share, real pen digits and synthetic
#: writing habits rehearsed so it does not forget the habits of writers the samples lack (chosen on
#: the UNIPEN ``tune`` writers split in two by writer: fine-tuned on one half, read on the other;
#: ``bench/tune_halves.py``). The base model's own losses (label smoothing, reconstruction
#: weight), its data recipe for MNIST (stroke redraws, bitmaps) and its preprocessing are kept.
#: ``mnist_per_epoch`` sets the run's length (the other shares scale with it): 20,000 halves the
#: 40,000 it was, so 7,500 samples fine-tune in about 7 minutes on a slow day rather than 14, and
#: read the held-out writers as well.
FINETUNE: dict = {"epochs": 3, "lr": 5e-4, "warmup": False, "augment": True, "augmentation": Augmentation(),
                  "ema": 0.998, "extra_share": 0.4, "variants": 4, "habits": 0.04, "non_digit_share": 0.08,
                  "mnist_per_epoch": 20_000, "rehearsal": 0.16}

#: What the shares above must leave of each epoch for MNIST, so that a model keeps reading it.
MIN_MNIST_SHARE = 0.1

#: Settings a fine-tuning run takes from the base model's sidecar, with these fallbacks.
FROM_BASE = {"label_smoothing": 0.0, "reconstruction_weight": 1.0, "stroke_mix": 0.0, "bitmaps": 0.0}


def preset(architecture: str | None = None, *, from_model: bool = False) -> dict:
    """The defaults of a run: ``FINETUNE`` when starting from a model, else the architecture's."""
    return dict(FINETUNE) if from_model else dict(PRESETS.get(architecture or DEFAULT_ARCHITECTURE,
                                                              PRESETS[DEFAULT_ARCHITECTURE]))


#: Fine-tuning needs, per digit, this many training samples and a held-out one (unless the digit has
#: fewer than ``sample_store.TEST_EVERY`` in all, when the split cannot have given it one).
#: ``ml.finetune.check_enough`` refuses by the same rule; the app checks it before TensorFlow loads.
MIN_TRAIN_PER_DIGIT = 2
MIN_TEST_PER_DIGIT = 1


def finetune_shortfall(per_digit: dict[int, dict[str, int]]) -> dict[int, int]:
    """The digits with too few samples to fine-tune and test on, each with how many it has.

    ``per_digit`` maps each digit to its ``{"train": n, "test": m}`` counts (``SampleStore.stats()``).
    """
    from .sample_store import TEST_EVERY

    short = {}
    for d in range(10):
        counts = per_digit.get(d, {})
        train, test = int(counts.get("train", 0)), int(counts.get("test", 0))
        if train < MIN_TRAIN_PER_DIGIT or (test < MIN_TEST_PER_DIGIT and train + test < TEST_EVERY):
            short[d] = train + test
    return short
