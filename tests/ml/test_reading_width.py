"""Each model's ink stroke width: another width than MNIST's only for a gain that is not chance."""
import numpy as np

from digitpad.core.ink import Ink, ink_to_mnist
from digitpad.core.model_info import ModelInfo
from digitpad.core.preprocess import MODEL_STROKE_RATIO, PreprocessSettings
from digitpad.ml import reading_width


class MassReader:
    """Reads a 1 in light ink and a 7 in heavy ink: a model that wants thin strokes."""

    def __init__(self, limit):
        self.info = ModelInfo(name="mass", preprocessing=PreprocessSettings())
        self.limit = limit

    def class_probabilities(self, x):
        out = np.zeros((len(x), 10), np.float32)
        light = x.reshape(len(x), -1).mean(axis=1) < self.limit
        out[light, 1], out[~light, 7] = 1, 1
        return out


def _ones(n):
    """Round ones: a ring's ink mass grows steadily with the stroke width."""
    rng = np.random.default_rng(0)
    t = np.linspace(0, 2 * np.pi, 60)
    return [Ink(280, 280, (np.c_[140 + 80 * np.cos(t), 140 + rng.uniform(90, 100) * np.sin(t)],)) for _ in range(n)]


def _limit(inks, thin, thick):
    """An ink mass between what the widths ``thin`` and ``thick`` (fractions of MNIST's) give."""
    def masses(fraction):
        settings = PreprocessSettings(stroke_ratio=round(fraction * MODEL_STROKE_RATIO, 4))
        return [float(ink_to_mnist(ink, settings).image.mean()) for ink in inks]
    assert max(masses(thin)) < min(masses(thick))
    return (max(masses(thin)) + min(masses(thick))) / 2


def _at(*fractions):
    return tuple(round(f * MODEL_STROKE_RATIO, 4) for f in fractions)


def test_a_width_that_reads_clearly_better_is_taken():
    inks = _ones(30)
    widths, table = reading_width.choose(MassReader(_limit(inks, 0.6, 0.7)), inks, np.ones(30, int))
    assert widths == _at(0.6)
    assert table[(MODEL_STROKE_RATIO,)]["accuracy"] == 0 and table[widths]["accuracy"] == 1
    assert table[widths]["p_value"] < reading_width.ALPHA
    # when several widths read every digit, the one nearest MNIST's, and one width before two
    widths, table = reading_width.choose(MassReader(_limit(inks, 0.8, 0.9)), inks, np.ones(30, int))
    assert widths == _at(0.8) and table[_at(1.0, 0.6)]["accuracy"] == 1


class SplitReader(MassReader):
    """Light ink reads 7 before 1, heavy ink 2 before 1: only both drawings together read the 1."""

    def class_probabilities(self, x):
        x = np.asarray(x)
        views = x.reshape(len(x), -1, 28 * 28)
        light = views.mean(axis=2) < self.limit
        out = np.zeros(light.shape + (10,), np.float32)
        out[..., 1] = 0.45
        out[light, 7], out[~light, 2] = 0.55, 0.55
        return out.mean(axis=1)


def test_two_widths_averaged_are_taken_when_only_they_read_right():
    inks = _ones(30)
    widths, table = reading_width.choose(SplitReader(_limit(inks, 0.6, 0.7)), inks, np.ones(30, int))
    assert widths == _at(1.0, 0.6)
    assert table[widths] == {"accuracy": 1.0, "p_value": table[widths]["p_value"]}
    assert all(table[_at(f)]["accuracy"] == 0 for f in reading_width.FRACTIONS)
    assert reading_width.label(widths) == "0.14+0.084"


def test_a_gain_that_may_be_chance_keeps_mnists_width():
    inks = _ones(5)
    widths, table = reading_width.choose(MassReader(_limit(inks, 0.6, 0.7)), inks, np.ones(5, int))
    assert widths == (MODEL_STROKE_RATIO,)  # 5 of 5 better: p = 0.06
    assert table[_at(0.6)] == {"accuracy": 1.0, "p_value": 0.0625}
    assert reading_width.choose(MassReader(0.1), [], np.zeros(0, int)) == ((MODEL_STROKE_RATIO,), {})


def test_held_out_samples_are_drawn_at_each_models_width(tmp_path):
    from digitpad.core.labelled_sets import held_out_samples
    from digitpad.core.sample_store import Sample, SampleStore
    from digitpad.ml.evaluation import model_inputs

    ring = _ones(1)[0]
    picture = np.round(ink_to_mnist(ring).image * 255).astype(np.uint8)
    with SampleStore(tmp_path / "s.sqlite") as store:
        store.add_many([Sample(label=0, image=picture, ink=ring, split="test"),
                        Sample(label=0, image=picture, split="test"),  # imported as a picture
                        Sample(label=1, image=picture, ink=ring, split="train")])
    held = held_out_samples(tmp_path / "s.sqlite")
    assert held.labels.tolist() == [0, 0] and held.inks[1] is None
    thin = MassReader(0.1)
    thin.info = ModelInfo(name="thin", preprocessing=PreprocessSettings(stroke_ratio=0.07))
    x, blank = model_inputs(thin, held)
    assert not blank.any()
    assert x[0].sum() < 0.75 * x[1].sum()  # the ink drawn thin for this model, the picture as it came
    assert np.abs(x[1] - picture / 255).max() < 0.1
