import numpy as np
import pytest

from digitpad.core.spline import densify


def test_dense_strokes_come_back_unchanged():
    stroke = np.c_[np.arange(50.0), np.sin(np.arange(50.0) / 5), np.full(50, 0.5)]
    out = densify(stroke, step=2.0)
    assert np.array_equal(out, stroke[:, :2])


def test_sparse_oval_is_curved_through_its_samples():
    t = np.linspace(0, 2 * np.pi, 8)
    oval = np.c_[100 + 60 * np.cos(t), 100 + 80 * np.sin(t)]
    out = densify(oval, step=5.0)
    assert len(out) > 5 * len(oval)
    assert np.linalg.norm(np.diff(out, axis=0), axis=1).max() <= 1.5 * 5.0
    for p in oval:  # passes through every reported point
        assert np.linalg.norm(out - p, axis=1).min() < 1e-9
    radius = np.hypot((out[:, 0] - 100) / 60, (out[:, 1] - 100) / 80)
    assert radius.min() > 0.9 and radius.max() < 1.05  # between samples it follows the oval


def test_a_sharp_reversal_stays_a_corner():
    """A 1's flag: up to the tip, then back down; a spline through the tip would overshoot it."""
    flag = np.array([[0.0, 100], [20, 60], [40, 20], [50, 0], [50, 40], [50, 80], [50, 120]])
    out = densify(flag, step=3.0)
    assert out[:, 0].max() == pytest.approx(50.0)  # rounded, it would swing out past x = 51
    assert out[:, 1].min() == pytest.approx(0.0)
    assert len(out) > 3 * len(flag)


@pytest.mark.parametrize("stroke", [
    np.array([[1.0, 1.0]]),
    np.array([[0.0, 0.0], [40.0, 40.0]]),
    np.array([[0.0, 0.0], [0.0, 0.0], [40.0, 0.0], [40.0, 0.0], [40.0, 40.0]]),
    np.array([[5.0, 5.0]] * 4),
])
def test_degenerate_strokes_give_finite_paths(stroke):
    out = densify(stroke, step=2.0)
    assert out.shape[1] == 2 and len(out) >= 1 and np.isfinite(out).all()


def test_the_screen_path_is_the_model_inputs_curve_with_pressure_carried_along():
    from digitpad.core.spline import smooth_stroke

    t = np.linspace(0, 2 * np.pi, 9)
    fast = np.c_[200 + 100 * np.cos(t), 200 + 100 * np.sin(t), np.linspace(0.2, 1.0, 9)]  # 8 chords of 77 px
    out = smooth_stroke(fast, 3.0)
    assert out.shape[1] == 3 and len(out) > 80
    assert np.array_equal(out[:, :2], densify(fast, 3.0))  # what the model input is drawn from
    radius = np.hypot(out[:, 0] - 200, out[:, 1] - 200)
    angle = np.arctan2(out[:, 1] - 200, out[:, 0] - 200) % (2 * np.pi)
    inner = (angle > t[1]) & (angle < t[-2])  # the two end chords have no neighbour on one side
    assert radius[inner].min() > 99 and radius.min() > 95  # the polygon's chords pass 92.4 px from the centre
    assert np.all(np.diff(out[:, 2]) >= -1e-12) and out[0, 2] == pytest.approx(0.2) and out[-1, 2] == 1.0
    dense = np.c_[np.arange(40.0), np.zeros(40), np.full(40, 0.5)]
    assert np.array_equal(smooth_stroke(dense, 3.0), dense)  # mouse ink is drawn as it came
    assert smooth_stroke(fast[:, :2], 3.0).shape[1] == 2
