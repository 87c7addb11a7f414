"""The per-file data check on generated takes that each have one problem (and on clean ones)."""
import numpy as np
import pytest

from ddsp_train.reports import checks
from ddsp_train.reports.checks import FIX, GOOD, check_audio

import reports_support as takes

SR = takes.SAMPLE_RATE


@pytest.fixture(scope="module")
def clean_checks():
    return [check_audio(takes.clean(seed, timbre=timbre), sample_rate=SR, path=f"clean_{seed}_{timbre}.wav")
            for seed, timbre in ((1, "bowed"), (2, "reed"), (3, "flute"), (11, "brass"))]


def test_clean_renders_are_not_flagged(clean_checks):
    for check in clean_checks:
        assert check.flags() == [], (check.path, {i: check.describe(i) for i in checks.ITEMS})
        assert set(check.levels().values()) == {GOOD}


def test_a_two_note_chord_is_flagged():
    check = check_audio(takes.chord(1), sample_rate=SR, path="chord.wav")
    assert check.levels()["monophony"] == FIX, check.describe("monophony")
    assert check.second_voice_share > 0.8
    assert "chords / several notes" in check.flags()


def test_a_fifth_is_flagged_too():
    check = check_audio(takes.chord(2, interval=7), sample_rate=SR)
    assert check.levels()["monophony"] == FIX, check.describe("monophony")


def test_a_wet_take_is_flagged_as_reverb():
    check = check_audio(takes.reverb(takes.clean(1)), sample_rate=SR, path="wet.wav")
    assert check.levels()["reverb"] == FIX, check.describe("reverb")
    assert 1.0 <= check.decay_seconds <= 3.0  # the impulse response decays 60 dB in 2 s


def test_the_dry_take_decays_fast(clean_checks):
    for check in clean_checks:
        assert check.decay_seconds < 0.3, check.path  # 60 ms linear release


def test_a_clipped_take_is_flagged():
    check = check_audio(takes.clipped(takes.clean(1)), sample_rate=SR, path="hot.wav")
    assert check.levels()["clipping"] == FIX, check.describe("clipping")
    assert check.peak == 1.0 and check.clipped_runs > 20


def test_a_noisy_take_is_flagged(clean_checks):
    check = check_audio(takes.noisy(takes.clean(1)), sample_rate=SR, path="hiss.wav")
    assert check.levels()["noise"] == FIX, check.describe("noise")
    # white noise at -35 dBFS RMS: the power floor of noise-only frames is -35 dB
    assert check.noise_floor_db == pytest.approx(-35.0, abs=1.5)
    assert clean_checks[0].snr_db > 40


def test_a_dc_offset_is_flagged():
    check = check_audio(takes.with_dc(takes.clean(1)), sample_rate=SR)
    assert check.levels()["dc"] == FIX and check.dc == pytest.approx(0.05, abs=1e-3)


def test_a_mostly_silent_file_is_flagged():
    audio = np.concatenate([takes.clean(1, seconds=3.0), np.zeros(17 * SR, np.float32)])
    check = check_audio(audio, sample_rate=SR)
    assert check.levels()["length"] == FIX and check.usable_seconds < 3.0


def test_one_repeated_note_is_a_narrow_range_at_one_loudness():
    from ddsp_train import synthetic

    notes = [synthetic.Note(0.1 + i, 0.8, 69.0, 0.8) for i in range(10)]
    audio = synthetic.render_melody(notes, seconds=10.5, sample_rate=SR).audio
    check = check_audio(audio, sample_rate=SR)
    assert check.levels()["pitch"] == FIX and check.describe("pitch").startswith("A4\u2013A4")
    assert check.levels()["dynamics"] == FIX


def test_the_numbers_round_trip_through_a_dict(clean_checks):
    check = clean_checks[0]
    again = checks.RecordingCheck.from_dict(check.to_dict())
    assert again == check
    assert check.to_dict()["verdicts"] == check.levels()
