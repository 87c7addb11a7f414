"""realtime/performance.py: causal frames, auto-adjust (octaves and power into the trained ranges),
silence kept silent, and the model's own mixed-range training material left unshifted."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ddsp_train import synthetic
from ddsp_train.dsp.scaling import hz_to_midi, midi_to_hz
from ddsp_train.features import causal_frames
from ddsp_train.realtime.performance import (Performance, auto_adjust_shifts, causal_features, octave_shift, quantile,
                                             range_shift, shifted)

SR, HOP = 16000, 320
META = {"mean_min_pitch_note_hz": float(midi_to_hz(55.0)), "mean_max_pitch_note_hz": float(midi_to_hz(79.0)),
        "mean_min_power_note": -40.0, "mean_max_power_note": -10.0}


def test_causal_frames_hold_the_last_1024_samples():
    x = np.arange(1, 5001, dtype=np.float32)
    frames = causal_frames(x, frame_size=1024, hop=HOP)
    assert frames.shape == (5000 // HOP + 1, 1024)
    assert not frames[0].any()
    for k in (1, 3, 4, 10, 15):
        end = k * HOP
        expected = np.concatenate([np.zeros(max(0, 1024 - end)), x[max(0, end - 1024):end]])
        np.testing.assert_array_equal(frames[k], expected)


def steady(midi, power):
    n = len(power)
    return Performance(f0_hz=np.full(n, midi_to_hz(midi), np.float32), power_db=np.asarray(power, np.float32),
                       confidence=np.ones(n, np.float32))


def test_octave_shift_is_the_fewest_octaves_into_the_range():
    assert octave_shift(midi=40, low=55, high=79) == 24  # 52 is still below 55
    assert octave_shift(midi=50, low=55, high=79) == 12
    assert octave_shift(midi=60, low=55, high=79) == 0
    assert octave_shift(midi=100, low=55, high=79) == -24
    # A range narrower than an octave that 61 jumps over (49 and 61 miss 62..66): the nearest octave.
    assert octave_shift(midi=49, low=62, high=66) == 12
    assert octave_shift(midi=55.5, low=62, high=63) == 12 and octave_shift(midi=56.5, low=68, high=69) == 12
    assert range_shift(value=-50, low=-40, high=-10) == 10 and range_shift(value=-20, low=-40, high=-10) == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40), st.sampled_from([0.0, 0.05, 0.5, 0.95, 1.0, 0.37]))
def test_quantile_is_numpys_linear_percentile_and_median(values, q):
    x = np.asarray(values)
    assert quantile(x, q) == pytest.approx(np.percentile(x, 100 * q), rel=1e-12, abs=1e-9)
    assert quantile(x, 0.5) == pytest.approx(np.median(x), rel=1e-12, abs=1e-9)


def test_auto_adjust_shifts_octaves_and_power_only_as_far_as_the_trained_ranges():
    power = np.linspace(-60.0, -45.0, 200)
    octaves, db = auto_adjust_shifts(steady(40.0, power), META)
    lo, hi = np.percentile(power[power >= -60], [5, 95])
    assert octaves == 24.0
    assert db == pytest.approx(-40.0 - 0.5 * (lo + hi))  # to the bottom of the trained power range
    assert auto_adjust_shifts(steady(40.0, power), META, pitch_shift=24.0)[0] == 0.0
    # Input already inside both ranges is left alone.
    assert auto_adjust_shifts(steady(62.0, np.linspace(-30, -20, 200)), META) == (0.0, 0.0)


def test_silence_and_unvoiced_input_are_not_shifted_and_silent_frames_stay_silent():
    silence = causal_features(np.zeros(SR, np.float32), sample_rate=SR, frame_rate=50, frame_size=1024,
                              tracker=_yin())
    assert silence.silent.all() and (silence.power_db == -80).all()
    assert auto_adjust_shifts(silence, META) == (0.0, 0.0)
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, SR).astype(np.float32)
    unvoiced = causal_features(noise, sample_rate=SR, frame_rate=50, frame_size=1024, tracker=_yin())
    unvoiced.confidence[:] = 0.0
    assert auto_adjust_shifts(unvoiced, META) == (0.0, 0.0)
    moved = shifted(silence, semitones=12, power_db=30)
    assert moved.silent.all()


def _yin():
    from ddsp_train.pitch import get_tracker

    return get_tracker("yin")


def test_mixed_range_training_clips_play_back_unshifted():
    """Three phrases in three registers (melodies drawn from MIDI 43-55, 55-67, 67-79), the statistics the
    pipeline writes (data/stats.py on the tracker's frames) and each phrase's own clips through
    the plugin's causal features: auto-adjust must not move them."""
    from ddsp_train.data.stats import compute_statistics
    from ddsp_train.features import compute_power_db
    from ddsp_train.pitch import tracker_voiced_threshold

    tracker = _yin()
    phrases, recordings = [], []
    for seed, (low, high) in enumerate([(43, 55), (55, 67), (67, 79)]):
        audio = synthetic.demo_phrase(seconds=8.0, seed=20 + seed, timbre="bowed", sample_rate=SR,
                                      low_midi=low, high_midi=high).audio
        f0, conf = tracker.track(audio, sample_rate=SR, frame_rate=50)
        power = compute_power_db(audio, sample_rate=SR, frame_rate=50)
        n = min(len(f0), len(power))
        recordings.append({"f0_hz": f0[:n], "f0_confidence": conf[:n], "power_db": power[:n], "loudness_db": power[:n]})
        phrases.append(audio)
    stats = compute_statistics(recordings, frame_rate=50, example_secs=4.0,
                               voiced_threshold=tracker_voiced_threshold("yin"))
    meta = {k: stats[k] for k in META}
    # The trained range spans the registers (2 octaves here), not only their middle.
    assert hz_to_midi(meta["mean_max_pitch_note_hz"]) - hz_to_midi(meta["mean_min_pitch_note_hz"]) >= 24
    for audio in phrases:
        for start in (0, 4 * SR):
            clip = audio[start:start + 4 * SR]
            perf = causal_features(clip, sample_rate=SR, frame_rate=50, frame_size=1024, tracker=tracker)
            octaves, _ = auto_adjust_shifts(perf, meta)
            assert octaves == 0.0
