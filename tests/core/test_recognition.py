import numpy as np

from digitpad.core.recognition import Predictions


def part(n: int, start: float = 0.0) -> Predictions:
    if n == 0:  # as a recogniser answers an empty batch
        return Predictions(np.zeros((0, 10), np.float32), None, None)
    return Predictions(np.full((n, 10), start), np.full((n, 28, 28), start), np.full(n, start), np.full(n, start))


def test_joined_reads_as_one_call_whatever_part_is_empty():
    for parts in ([part(0), part(2, 1.0), part(3, 2.0)], [part(2, 1.0), part(0), part(3, 2.0)]):
        joined = Predictions.joined(parts)
        assert joined.probabilities.shape == (5, 10) and joined.reconstructions.shape == (5, 28, 28)
        assert joined.reconstruction_errors.tolist() == [1, 1, 2, 2, 2] == joined.digit_likeness.tolist()
    assert Predictions.joined([part(0), part(0)]).probabilities.shape == (0, 10)
    no_recon = Predictions(np.ones((2, 10)), None, None)
    assert Predictions.joined([part(0), no_recon, no_recon]).reconstructions is None
