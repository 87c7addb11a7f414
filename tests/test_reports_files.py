"""Checking audio files from disk (reports/files.py): decoded at their own rate, tracked on the
dataset's grid, one progress line per file."""
import soundfile as sf

from ddsp_train import features, pitch
from ddsp_train.reports import files as files_lib

import reports_support as takes


def test_clipping_is_measured_before_resampling(tmp_path):
    path = tmp_path / "hot44.wav"
    audio = takes.clean(1)
    import soxr

    native = takes.clipped(soxr.resample(audio, takes.SAMPLE_RATE, 44100))
    sf.write(path, native, 44100, subtype="PCM_16")
    check, excerpt = files_lib.check_file(str(path), sample_rate=16000)
    assert check.levels()["clipping"] == "fix" and check.clipped_runs > 100
    assert excerpt.sample_rate == 16000 and len(excerpt.audio) == 8 * 16000


def test_checking_files_says_one_line_per_file(tmp_path):
    path = tmp_path / "one.wav"
    sf.write(path, takes.clean(1, seconds=3.0), takes.SAMPLE_RATE)
    heard = []
    checks, excerpts = files_lib.check_files([str(path)], say=heard.append)
    assert heard == ["checked 1/1: one.wav"] and len(checks) == len(excerpts) == 1


def test_a_file_check_is_the_check_of_its_tracked_features(tmp_path):
    audio = takes.clean(2, seconds=4.0)
    path = tmp_path / "take.wav"
    sf.write(path, audio, takes.SAMPLE_RATE, subtype="FLOAT")
    check, excerpt = files_lib.check_file(str(path), sample_rate=16000, frame_rate=50, f0_method="yin")
    f0, confidence = pitch.get_tracker("yin").track(audio, sample_rate=16000, frame_rate=50)
    power = features.compute_power_db(audio, sample_rate=16000, frame_rate=50)
    again, _ = files_lib.check_tracked(audio, sample_rate=16000, frame_rate=50, f0_hz=f0, f0_confidence=confidence,
                                       power_db=power, voiced_threshold=pitch.tracker_voiced_threshold("yin"),
                                       path=str(path), native_audio=audio)
    assert check == again
    assert check.seconds == 4.0 and 54.5 <= check.low_midi <= check.high_midi <= 79.5  # demo_phrase: MIDI 55..79, vibrato
    assert len(excerpt.audio) <= len(audio) and excerpt.sample_rate == 16000
