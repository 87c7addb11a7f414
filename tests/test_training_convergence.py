"""The convergence rule on synthetic eval-loss curves."""
import numpy as np

from ddsp_train.training import convergence


def curve(losses, every=100):
    return [(i * every, float(x)) for i, x in enumerate(losses)]


def first_stop(losses, *, window, threshold, every=100):
    points = curve(losses, every)
    for n in range(1, len(points) + 1):
        if convergence.has_converged(points[:n], window=window, threshold=threshold):
            return points[n - 1][0]
    return None


def test_a_falling_curve_goes_on_and_a_plateau_stops_one_window_after_it_starts():
    falling = 5.0 * np.exp(-np.arange(30) / 10.0) + 1.0  # still 3 %+ better per 500 steps at the end
    assert first_stop(falling, window=500, threshold=0.01) is None
    plateau = np.concatenate([np.linspace(5.0, 2.0, 10), np.full(20, 2.0)])  # flat from step 900 on
    assert first_stop(plateau, window=500, threshold=0.01) == 1400


def test_noise_around_a_plateau_stops_but_new_lows_beyond_the_threshold_do_not():
    rng = np.random.default_rng(0)
    noisy = 2.0 + 0.005 * rng.standard_normal(40)  # +-0.25 %: no improvement worth 1 %
    assert first_stop(noisy, window=500, threshold=0.01) == 500
    steps_down = np.repeat([4.0, 3.0, 2.0, 1.5], 4)  # 25 %+ better every 400 steps
    assert first_stop(steps_down, window=500, threshold=0.01) is None


def test_a_curve_that_only_gets_worse_stops_and_nothing_stops_before_a_whole_window():
    assert first_stop([2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0], window=500, threshold=0.01) == 500
    assert not convergence.has_converged(curve([2.0, 2.0, 2.0]), window=500, threshold=0.01)
    assert not convergence.has_converged([], window=500, threshold=0.01)
    assert not convergence.has_converged(curve([float("nan")] * 10), window=500, threshold=0.01)


def test_best_eval_skips_step_0_and_non_numbers():
    history = [{"step": 0, "loss": 0.1}, {"step": 10, "loss": None}, {"step": 20, "loss": 3.0},
               {"step": 30, "loss": 2.0}, {"step": 40, "loss": 2.0}]
    assert convergence.best_eval(history)["step"] == 30
    assert convergence.best_eval(history[:2]) is None
    assert convergence.curve_of(history) == [(0, 0.1), (20, 3.0), (30, 2.0), (40, 2.0)]
