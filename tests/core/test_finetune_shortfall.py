"""The app's check before fine-tuning (no TensorFlow): which digits have too few samples."""
from digitpad.core.training_presets import finetune_shortfall


def _counts(**per):
    return {d: {"train": per.get(f"d{d}", (4, 1))[0], "test": per.get(f"d{d}", (4, 1))[1]} for d in range(10)}


def test_every_digit_needs_training_samples_and_one_to_test_on():
    assert finetune_shortfall(_counts()) == {}
    assert finetune_shortfall(_counts(d3=(2, 0), d7=(0, 0))) == {3: 2, 7: 0}
    assert finetune_shortfall(_counts(d5=(1, 1))) == {5: 2}  # too few to learn from
    assert finetune_shortfall(_counts(d5=(5, 0))) == {}  # enough, all put in training: measured elsewhere
    assert finetune_shortfall({}) == {d: 0 for d in range(10)}
