"""pitch/metrics.py: raw pitch accuracy and friends against their pairwise definitions."""
import numpy as np
import pytest

from ddsp_train.pitch import metrics


def cents(a, b):
    return 1200 * np.log2(np.asarray(a, np.float64) / np.asarray(b, np.float64))


def test_metrics_against_pairwise_definitions():
    rng = np.random.default_rng(1)
    pos, neg = rng.random(50).round(1), (rng.random(40) * 0.8).round(1)
    pairs = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    assert metrics.roc_auc(pos, neg) == pytest.approx(pairs.mean())
    true = np.array([100.0, 100.0, 100.0, 100.0, 0.0])
    est = np.array([101.0, 200.0, 100 * 2 ** (60 / 1200), 50.0, 300.0])
    s = metrics.pitch_scores(est, true)
    assert s["frames"] == 4
    assert s["rpa50"] == pytest.approx(0.25)  # 101 Hz only (17 cents); 60 cents is out
    assert s["octave_errors"] == pytest.approx(0.5)
