"""Per-note statistics on frame sequences built by hand, so the answers are known exactly."""
import numpy as np
import pytest

from ddsp_train.data.stats import compute_statistics, find_notes, weighted_percentile
from ddsp_train.dsp.scaling import midi_to_hz

FR = 50


def recording(notes, secs):
    """Frames with ``notes``: (start_s, stop_s, midi, power_db); elsewhere unvoiced at -80 dB."""
    n = int(secs * FR)
    f0 = np.full(n, 200.0)
    conf = np.zeros(n)
    power = np.full(n, -80.0)
    for a, b, midi, db in notes:
        i, j = int(a * FR), int(b * FR)
        f0[i:j] = midi_to_hz(midi)
        conf[i:j] = 0.9
        power[i:j] = db
    return {"f0_hz": f0, "f0_confidence": conf, "power_db": power, "loudness_db": power + 5}


def test_find_notes_splits_on_pitch_steps_and_drops_short_runs():
    f0 = midi_to_hz(np.array([60] * 10 + [60.5] * 10 + [62] * 10 + [64] * 3 + [0] * 5 + [65] * 10, float))
    mask = np.ones(len(f0), bool)
    mask[33:38] = False
    notes = find_notes(f0, mask, frame_rate=FR)
    # 60 -> 60.5 is within a semitone (same note); 62 starts a new one; the 3-frame 64 is < 0.1 s.
    assert notes == [(0, 20), (20, 30), (38, 48)]


def test_weighted_percentile_is_the_first_value_whose_cumulative_share_reaches_q():
    values, weights = [64.0, 60.0, 67.0, 62.0], [10, 1, 1, 8]  # sorted: 60 (1), 62 (8), 64 (10), 67 (1) of 20
    assert weighted_percentile(values, weights, 5) == 60.0     # 1/20 = 5 %
    assert weighted_percentile(values, weights, 6) == 62.0
    assert weighted_percentile(values, weights, 45) == 62.0    # 9/20
    assert weighted_percentile(values, weights, 46) == 64.0
    assert weighted_percentile(values, weights, 95) == 64.0    # 19/20
    assert weighted_percentile(values, weights, 96) == 67.0
    assert weighted_percentile([3.0], [5], 95) == 3.0


def test_per_note_ranges_are_length_weighted_percentiles_of_the_notes():
    # 8 s, 4 s windows. Window 1: notes 60 (-20 dB, 40 frames) and 64 (-30 dB, 50); window 2:
    # 62 (-25, 40) and 67 (-10, 50): 180 frames, so the 5th / 95th percentiles are the extremes.
    rec = recording([(0.2, 1.0, 60, -20), (1.5, 2.5, 64, -30), (4.2, 5.0, 62, -25), (6.0, 7.0, 67, -10),
                     (7.5, 7.56, 80, -10)], secs=8)  # the last one is too short to be a note
    # A quiet voiced passage (below max(-60, q95 - 40) = -50 dB) is not a note.
    rec["f0_confidence"][int(3.0 * FR):int(3.5 * FR)] = 0.9
    rec["power_db"][int(3.0 * FR):int(3.5 * FR)] = -55
    rec["f0_hz"][int(3.0 * FR):int(3.5 * FR)] = midi_to_hz(40)
    st = compute_statistics([rec], frame_rate=FR, example_secs=4.0, voiced_threshold=0.5)
    assert st["notes"] == 4 and st["note_windows"] == 2
    assert st["note_power_floor_db"] == pytest.approx(-50)
    assert st["mean_min_pitch_note"] == pytest.approx(60)
    assert st["mean_max_pitch_note"] == pytest.approx(67)
    assert st["mean_min_pitch_note_hz"] == pytest.approx(midi_to_hz(60.0))
    assert st["mean_max_pitch_note_hz"] == pytest.approx(midi_to_hz(67.0))
    assert st["mean_min_power_note"] == pytest.approx(-30)
    assert st["mean_max_power_note"] == pytest.approx(-10)
    # Whole-frame statistics over voiced frames, the quiet passage included.
    voiced = rec["f0_confidence"] >= 0.5
    assert st["voiced_frames"] == voiced.sum()
    assert st["f0_hz"]["min"] == pytest.approx(midi_to_hz(40), rel=1e-6)
    assert st["power_db"]["max"] == -10 and st["power_db"]["min"] == -55
    assert st["power_db_quantiles"]["q50"] == pytest.approx(np.percentile(rec["power_db"][voiced], 50))
    assert st["loudness_db"]["min"] == -75


def test_notes_do_not_run_across_recordings():
    a = recording([(3.0, 4.0, 60, -20)], secs=4)
    b = recording([(0.0, 1.0, 72, -20)], secs=4)
    st = compute_statistics([a, b], frame_rate=FR, example_secs=4.0, voiced_threshold=0.5)
    assert st["notes"] == 2 and st["note_windows"] == 2
    assert st["mean_min_pitch_note"] == pytest.approx(60) and st["mean_max_pitch_note"] == pytest.approx(72)
    empty = compute_statistics([recording([], secs=2)], frame_rate=FR, example_secs=4.0, voiced_threshold=0.5)
    assert empty["mean_min_pitch_note"] is None and empty["voiced_frames"] == 0


def test_a_mixed_range_set_keeps_every_register_in_its_range():
    """Phrases in three registers (one per recording): ddsp's mean over examples of the
    per-example min/max collapses to the middle (52..58.7 here); the range must span the
    registers the model was trained on, so a phrase of each is inside it."""
    registers = [(40, 46), (52, 58), (64, 72)]
    recs = [recording([(i * 0.5, i * 0.5 + 0.4, lo + (hi - lo) * (i % 4) / 3, -20) for i in range(16)], secs=8)
            for lo, hi in registers]
    st = compute_statistics(recs, frame_rate=FR, example_secs=4.0, voiced_threshold=0.5)
    assert st["notes"] == 48 and st["note_windows"] == 6
    assert st["mean_min_pitch_note"] == pytest.approx(40) and st["mean_max_pitch_note"] == pytest.approx(72)
    for lo, hi in registers:
        middle = (lo + hi) / 2
        assert st["mean_min_pitch_note"] <= middle <= st["mean_max_pitch_note"]
