"""The evaluation figures (training/evaluation.py) against closed forms."""
import numpy as np

from ddsp_train.training import evaluation


def test_f0_cents_error():
    f0_in = np.array([440.0, 440.0, 440.0, 220.0])
    f0_out = np.array([440.0 * 2 ** (50 / 1200), 440.0 / 2 ** (7 / 1200), 0.0, 440.0])
    np.testing.assert_allclose(evaluation.f0_cents_error(f0_out, f0_in), [50.0, 7.0, 1200.0, 1200.0], atol=1e-9)
