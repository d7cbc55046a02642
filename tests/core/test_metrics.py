import numpy as np

from digitpad.core.metrics import Scores, format_before_after, score


def test_scores_survive_a_json_round_trip_with_missing_digits():
    s = score(np.array([0, 1, 1, 2, 2]), np.array([0, 1, 7, -1, 2]))
    back = Scores.from_dict(s.to_dict())
    assert back.accuracy == s.accuracy and back.count == 5
    assert np.array_equal(back.confusion, s.confusion) and back.confusion[2, 10] == 1  # a blank
    assert np.isnan(back.per_class[5]) and back.per_class[1] == 0.5


def test_before_and_after_are_printed_per_set_and_absent_sets_skipped():
    before = {"mnist_test": score(np.array([3, 3, 4]), np.array([3, 5, 4])).to_dict()}
    after = {"mnist_test": score(np.array([3, 3, 4]), np.array([3, 3, 4])).to_dict()}
    text = format_before_after(before, after)
    assert "MNIST test, before: accuracy 66.67%" in text and "MNIST test, after: accuracy 100.00%" in text
    assert text.count("confusion matrix") == 2 and "held-out" not in text
    mine = {"homemade_test": score(np.array([1]), np.array([7])).to_dict()}
    both = format_before_after({**before, **mine}, {**after, **mine})
    assert both.index("your held-out samples, before") < both.index("MNIST test, before")
