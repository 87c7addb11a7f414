"""The target: any audio file in, its pitch and power out; bad input gets one line and no traceback."""
import numpy as np
import pytest
import soundfile as sf

from ddsp_train import synthetic
from ddsp_train.errors import UserError
from ddsp_train.match import target as T

SR = 22050


def _note(f0=220.0, seconds=1.2, sr=SR, amp=0.3):
    n = int(seconds * sr)
    t = np.arange(n) / sr
    env = np.minimum(1, t / 0.05) * np.minimum(1, (seconds - t) / 0.1)
    return synthetic.render_harmonic(np.full(n, f0), amp * env, sample_rate=sr)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("targets")
    rng = np.random.default_rng(0)
    note = _note()
    out = {
        "note": (note, "flac"),
        "chord": (sum(_note(f, amp=0.2) for f in (220.0, 277.18, 329.63)), "wav"),
        "noise": ((0.1 * rng.uniform(-1, 1, len(note))).astype(np.float32), "wav"),
        "silence": (np.zeros(len(note), np.float32), "wav"),
        "short": (note[: int(0.2 * SR)], "wav"),
    }
    paths = {}
    for name, (audio, fmt) in out.items():
        paths[name] = d / f"{name}.{fmt}"
        sf.write(paths[name], audio, SR)
    paths["text"] = d / "text.wav"
    paths["text"].write_text("not audio at all")
    return paths


def test_a_note_at_any_rate_gives_its_pitch_and_power_range(files):
    said = []
    t = T.analyse(files["note"], f0_method="yin", say=said.append)
    assert not said and t.sample_rate == SR and t.frames == int(1.2 * SR)
    r = t.ranges()
    assert r["pitch_min_hz"] < 220 < r["pitch_max_hz"] and abs(r["pitch_median_hz"] - 220) < 2
    # amplitude 0.3 harmonic series: power within a few dB of 10 log10(0.3^2 sum c_k^2 / 2)
    assert -40 < r["power_min_db"] < r["power_max_db"] < -15
    assert len(t.f0_hz) == len(t.power_db) == len(t.audio) // 320 + 1


def test_a_chord_is_warned_about_and_goes_on(files):
    said = []
    t = T.analyse(files["chord"], f0_method="yin", say=said.append)
    assert t.voiced.any() and any("polyphonic" in s for s in said)


def test_a_single_note_has_no_off_harmonic_peaks(files):
    t = T.analyse(files["note"], f0_method="yin", say=lambda s: None)
    assert T.off_harmonic_peaks(t.audio, t.f0_hz, t.voiced) == 0


@pytest.mark.parametrize("name, words", [
    ("silence", "is silent"),
    ("noise", "no pitched frame"),
    ("short", "0.200 s long; give at least 0.25 s"),
    ("text", "is not audio"),
])
def test_bad_targets_are_refused_in_one_line(files, name, words):
    with pytest.raises(UserError) as e:
        T.analyse(files[name], f0_method="yin", say=lambda s: None)
    assert words in e.value.message and "\n" not in e.value.message


def test_a_long_recording_is_refused_before_it_is_decoded(tmp_path):
    sf.write(tmp_path / "long.wav", np.zeros(61 * 8000, np.float32), 8000)
    with pytest.raises(UserError, match="61.0 s long; ddsp-match takes one note or a short phrase"):
        T.analyse(tmp_path / "long.wav", f0_method="yin")


def test_missing_target_and_folder(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        T.analyse(tmp_path / "nope.wav")
    with pytest.raises(UserError, match="is a folder"):
        T.analyse(tmp_path)


def test_weakly_pitched_target_warns(tmp_path):
    # a short pitched note followed by a long noise burst: under 30 % of the audible frames are pitched
    rng = np.random.default_rng(1)
    audio = np.concatenate([_note(seconds=0.3, sr=16000), 0.05 * rng.uniform(-1, 1, 32000).astype(np.float32)])
    sf.write(tmp_path / "mostly_noise.wav", audio, 16000)
    said = []
    T.analyse(tmp_path / "mostly_noise.wav", f0_method="yin", say=said.append)
    assert any("harmonic part is weak" in s for s in said)
