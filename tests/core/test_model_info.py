"""Model Info in words (issue 14, item 10): ``readable_summary`` of a sidecar, no Qt."""
from __future__ import annotations

from digitpad.core.model_info import ModelInfo, readable_summary
from digitpad.core.preprocess import PreprocessSettings

DESCRIPTION = {"name": "mine", "path": "/models/mine.keras", "parameters": 1715116, "input": (28, 28, 1),
               "outputs": ["digit", "is_digit", "reconstruction"], "classifier_output": "digit",
               "reconstruction_output": "reconstruction"}
CREDIT = "UNIPEN train_r01_v07 (International Unipen Foundation), CC-BY-4.0"


def text(sections):
    return "\n".join(f"{h}: " + " | ".join(lines) for h, lines in sections)


def test_a_fine_tuned_model_in_words():
    info = ModelInfo(
        name="mine", architecture="digitnet", preprocessing=PreprocessSettings(),
        metrics={"mnist_test_accuracy": 0.9954, "mnist_test_accuracy_before": 0.996,
                 "homemade_test_accuracy": 0.9679, "homemade_test_accuracy_before": 0.9519,
                 "homemade_train": 4002, "homemade_test": 998, "sample_uids_sha1": "ab12",
                 "mnist_drop_within_0.2_points": True, "mnist_test_per_class": [0.99] * 9 + [0.98]},
        thresholds={"confidence": 0.5647, "reconstruction_error": 0.01263, "digit_likeness": 0.0319},
        training={"epochs": 24, "duration_s": 1481.0,
                  "data": [{"data": "MNIST", "digits": 55000, "validation_digits": 5000},
                           {"data": "unipen-1a-digits.jsonl", "digits": 9157, "credit": CREDIT},
                           {"data": "unipen-letters.jsonl", "pictures": 55756, "credit": CREDIT,
                            "non_digits": True}],
                  "finetuned_from": "/models/digitpad-default.keras",
                  "finetune": {"epochs": 3, "duration_s": 295.0,
                               "data": [{"data": "samples.sqlite", "digits": 4002}]}},
        created="2026-12-01T06:46:31+00:00", digitpad_version="0.1.0")
    out = text(readable_summary(info, DESCRIPTION, has_digit_likeness=True))
    assert "Outputs: digit (10 classes), reconstruction (28x28 picture), digit-likeness" in out
    assert "Network: digitnet, 1,715,116 parameters" in out and "Input: a 28x28 grey picture" in out
    assert "MNIST test accuracy 99.54% (its weakest digit, 9: 98.00%), 99.60% before fine-tuning" in out
    assert "Accuracy on your held-out samples 96.79%, 95.19% before fine-tuning" in out
    assert "Your samples: 4,002 trained on, 998 held out" in out
    assert "less than 56.5% sure" in out and "below 0.0319" in out and "above 0.0126" in out
    assert "MNIST: 55,000 digits (+5,000 for validation) [1]" in out
    assert "unipen-1a-digits.jsonl: 9,157 digits [2]" in out and "unipen-letters.jsonl: 55,756 pictures [2]" in out
    assert "24 epochs in 24 min 41 s" in out
    assert "Then fine-tuned from digitpad-default.keras on: samples.sqlite: 4,002 digits | 3 epochs in 4 min 55 s" in out
    assert out.count(CREDIT) == 1 and "[1] MNIST: Y. LeCun" in out
    assert "Made 2026-12-01 with DigitPad 0.1.0" in out
    for raw in ("sha1", "mnist_drop", "_before", "per_class", "True"):
        assert raw not in out


def test_a_sidecar_alone_and_an_unknown_metric():
    info = ModelInfo(name="old", metrics={"reconstruction_error_over_input_energy": 1.127},
                     thresholds={"confidence": 0.87, "reconstruction_error": None})
    out = text(readable_summary(info))
    assert "Reconstruction error over input energy: 1.127" in out
    assert "reconstruction error is not used" in out
    assert "File:" not in out and "Outputs" not in out  # nothing invented without the loaded model


def test_a_model_reading_ink_at_two_widths_says_so_and_a_bad_list_is_a_sidecar_error(tmp_path):
    import json

    import pytest

    from digitpad.core.errors import ModelFileError
    from digitpad.core.model_info import read_info

    out = text(readable_summary(ModelInfo(name="two", preprocessing=PreprocessSettings(also_ratios=(0.084,)))))
    assert "drawn with strokes 14.0% and 8.4% of its size, each drawing read and the answers averaged" in out
    (tmp_path / "m.json").write_text(json.dumps({"preprocessing": {"also_stroke_ratios": [0.1] * 50}}))
    with pytest.raises(ModelFileError, match="also_stroke_ratios"):
        read_info(tmp_path / "m.keras")
