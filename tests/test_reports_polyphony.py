"""The polyphony estimate: one harmonic voice explains its partials, two do not."""
import numpy as np

from ddsp_train.reports import polyphony

SR = 16000


def _tone(f0, *, seconds=1.0, harmonics=10, levels_db=None):
    t = np.arange(int(seconds * SR)) / SR
    k = np.arange(1, harmonics + 1)
    levels = 10 ** ((levels_db(k) if levels_db else -20 * np.log10(k)) / 20)
    return sum(a * np.sin(2 * np.pi * n * f0 * t) for n, a in zip(k, levels) if n * f0 < SR / 2) * 0.1


def test_one_voice_has_no_second_voice():
    for f0 in (98.0, 220.0, 523.25, 1200.0):
        result = polyphony.estimate_polyphony(_tone(f0), sample_rate=SR)
        assert result.frames > 5 and result.second_voice_share == 0.0, f0


def test_a_brass_like_spectrum_counts_as_one_voice():
    # the 3rd harmonic strongest, the fundamental 38 dB below it
    brass = _tone(196.0, harmonics=12, levels_db=lambda k: -24 * np.abs(np.log2(k / 3.0)))
    assert polyphony.estimate_polyphony(brass, sample_rate=SR).second_voice_share == 0.0


def test_two_voices_are_found_whatever_the_interval():
    for ratio in (2 ** (3 / 12), 2 ** (4 / 12), 2 ** (7 / 12)):
        chord = _tone(196.0) + _tone(196.0 * ratio)
        result = polyphony.estimate_polyphony(chord, sample_rate=SR)
        assert result.second_voice_share >= 0.9, ratio  # every frame but perhaps one at an edge
        assert 0.25 < np.median(result.off_share) < 0.75


def test_the_off_share_is_the_second_voices_power_share():
    freqs = np.array([200.0, 400.0, 600.0, 300.0 * 2 ** (1 / 12)])
    powers = np.array([1.0, 0.5, 0.25, 0.25])
    share, f = polyphony.off_harmonic_share(freqs, powers)
    assert abs(f - 200.0) < 1.0 and abs(share - 0.25 / 2.0) < 1e-9
