"""The app checks "enough samples?" before TensorFlow loads; fine-tuning itself must refuse by the same rule."""
import itertools

import numpy as np
import pytest

from digitpad.core.training_presets import finetune_shortfall


def test_the_apps_check_and_finetunings_refusal_agree():
    from digitpad.ml.finetune import NotEnoughSamples, check_enough

    for train, test in itertools.product(range(7), range(3)):
        counts = {d: {"train": 6, "test": 2} for d in range(10)}
        counts[4] = {"train": train, "test": test}
        y_train = np.concatenate([np.full(c["train"], d) for d, c in counts.items()])
        y_test = np.concatenate([np.full(c["test"], d) for d, c in counts.items()])
        short = finetune_shortfall(counts)
        if short:
            with pytest.raises(NotEnoughSamples):
                check_enough(y_train, y_test)
        else:
            check_enough(y_train, y_test)
