"""The small measurements (reports/measures.py); the units are in tests/test_reports_units.py."""
import numpy as np
import pytest

from ddsp_train.reports import measures, units


def test_clipping_counts_runs_at_the_peak_only():
    t = np.arange(16000) / 16000
    sine = 0.9 * np.sin(2 * np.pi * 440 * t)
    assert measures.clipping(sine).runs == 0
    hot = np.clip(2 * sine, -1, 1)
    result = measures.clipping(hot)
    assert result.runs == 880 and result.peak == 1.0  # both half-cycles of 440 Hz, for 1 s
    turned_down = 0.5 * hot  # clipped, then made quieter: still flat tops
    assert measures.clipping(turned_down).runs == 880
    assert measures.clipping(np.zeros(100)).runs == 0


def test_dc_and_noise_floor():
    rng = np.random.default_rng(0)
    assert measures.dc_offset(rng.standard_normal(100000) * 0.1 + 0.02) == pytest.approx(0.02, abs=1e-3)
    power = np.concatenate([np.full(50, -20.0), np.full(50, -70.0)])
    voiced = np.arange(100) < 50
    assert measures.noise_floor_db(power, voiced=voiced, frame_rate=50) == (-70.0, True)
    # no pauses: the quiet end of all frames, flagged as such
    floor, in_rests = measures.noise_floor_db(power[:50], voiced=voiced[:50], frame_rate=50)
    assert (floor, in_rests) == (-20.0, False)


def test_pitch_range_and_usable_seconds():
    f0 = np.concatenate([np.full(100, 220.0), np.full(100, 880.0), np.full(50, 0.0)])
    conf = np.concatenate([np.full(200, 0.9), np.zeros(50)])
    result = measures.pitch_range(f0, conf, threshold=0.5)
    assert units.note_range(result.low_midi, result.high_midi) == "A3\u2013A5"
    assert result.voiced_share == pytest.approx(0.8)
    power = np.concatenate([np.full(150, -20.0), np.full(50, -75.0), np.full(50, -80.0)])
    # note frames: voiced and >= max(-60, q95 - 40) = -60 dB -> 150 frames at 50 frames/s
    assert measures.usable_seconds(power, voiced=conf >= 0.5, frame_rate=50) == pytest.approx(3.0)
