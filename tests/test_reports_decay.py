"""The decay-time estimate on exactly known decays."""
import numpy as np
import pytest

from ddsp_train.reports import decay

SR = 16000


def _decaying_notes(t60: float, *, notes: int = 4, gap: float = 3.0, seed: int = 0) -> np.ndarray:
    """Notes of 0.5 s at 440 Hz, each followed by an exponential decay of ``t60`` s (60 dB)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(notes):
        t = np.arange(int((0.5 + gap) * SR)) / SR
        envelope = np.where(t < 0.5, 1.0, 10 ** (-3 * (t - 0.5) / t60))
        out.append(0.3 * envelope * np.sin(2 * np.pi * 440 * t + rng.uniform(0, 6)))
    return np.concatenate(out)


@pytest.mark.parametrize("t60", [0.2, 0.8, 2.0])
def test_the_decay_time_of_exponential_decays(t60):
    result = decay.estimate_decay(_decaying_notes(t60), sample_rate=SR)
    assert len(result.t60s) >= 4
    assert result.seconds == pytest.approx(t60, rel=0.15)


def test_no_stops_no_estimate():
    t = np.arange(5 * SR) / SR
    assert decay.estimate_decay(0.3 * np.sin(2 * np.pi * 440 * t), sample_rate=SR).seconds is None
