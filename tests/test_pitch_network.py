"""The pitch network: packaged weights, decoding, the tracker interface, the feature .tflite and
the training script, all on synthesized audio."""
import importlib.util
import json
import pathlib
import sys

import numpy as np
import pytest

from ddsp_train import features
from ddsp_train.dsp.scaling import hz_to_midi, scale_f0_hz, scale_power_db
from ddsp_train.pitch import get_tracker, network
from ddsp_train.synthetic import TIMBRES, demo_phrase, render_harmonic

SR = 16000
REPO = pathlib.Path(__file__).resolve().parents[1]


def cents(a, b):
    return 1200 * np.log2(np.asarray(a, np.float64) / np.asarray(b, np.float64))


@pytest.fixture(scope="module")
def tracker():
    return get_tracker("network")


def glide(seconds=3.0, f_lo=70.0, f_hi=1400.0, sample_rate=SR):
    """An exponential glide ``f(t) = f_lo (f_hi / f_lo) ** (t / T)`` with its per-sample f0."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    f0 = f_lo * (f_hi / f_lo) ** (t / seconds)
    return render_harmonic(f0, np.full_like(f0, 0.5), sample_rate=sample_rate, harmonic_db=TIMBRES["reed"]), f0


def test_front_end_peaks_at_the_bin_of_a_sine():
    kernels = network.front_end_kernels()
    n_live = kernels.shape[1] // 2
    n = np.arange(network.FRAME_SIZE)
    for j in (70, 200, 330, 480):  # spectrum bins: 15 Hz * 2 ** (j / 60)
        f = network.F_MIN * 2 ** ((j - network.SPEC_OFFSET) / network.BINS_PER_OCTAVE)
        x = np.sin(2 * np.pi * f * n / SR + 0.3)
        spec = x @ kernels
        mag = np.hypot(spec[:n_live], spec[n_live:])
        assert abs(int(np.argmax(mag)) - j) <= 1
        # Normalised kernels: a unit sine reads 1/2 at its own frequency.
        assert mag[j] == pytest.approx(0.5, rel=0.02)


def test_temporal_front_end_tells_growing_from_decaying_partials():
    kernels = network.front_end_kernels(True)
    n_live = kernels.shape[1] // 6
    n = np.arange(network.FRAME_SIZE)
    j = 250
    f = network.F_MIN * 2 ** ((j - network.SPEC_OFFSET) / network.BINS_PER_OCTAVE)
    tone = np.sin(2 * np.pi * f * n / SR)
    rising = np.exp((n - 1024) / 200.0)  # grows by 5.1 / 200 * 512 * 8.69 ~ 22 dB per half frame
    for envelope, sign in ((rising, 1), (rising[::-1], -1)):
        spec = (tone * envelope) @ kernels
        power = [spec[2 * p * n_live + j] ** 2 + spec[(2 * p + 1) * n_live + j] ** 2 for p in range(3)]
        assert sign * 10 * np.log10(power[2] / power[1]) > 15


def test_packaged_weights_track_a_glide(tracker):
    audio, f0 = glide()
    est, conf = tracker.track(audio, sample_rate=SR, frame_rate=50)
    assert len(est) == len(audio) // 320 + 1
    centres = np.minimum(np.arange(len(est)) * 320, len(audio) - 1)
    inner = slice(3, len(est) - 3)  # frames whose window lies inside the sound
    err = np.abs(cents(est[inner], f0[centres][inner]))
    assert np.median(err) < 20
    assert np.mean(err < 50) > 0.95
    assert np.median(conf[inner]) > 0.5


def test_packaged_weights_track_a_rendered_melody_at_44k(tracker):
    for timbre, seed in (("bowed", 3), ("flute", 4)):
        r = demo_phrase(seconds=5.0, seed=seed, timbre=timbre, sample_rate=44100, low_midi=40, high_midi=84)
        est, conf = tracker.track(r.audio, sample_rate=44100, frame_rate=50)
        assert len(est) == features.n_frames(len(r.audio), sample_rate=44100, frame_rate=50)
        voiced = r.f0_hz > 0
        err = np.abs(cents(est[voiced], r.f0_hz[voiced]))
        assert np.median(err) < 20, timbre
        assert np.mean(err < 50) > 0.95, timbre


def test_silence_and_noise_get_low_confidence(tracker):
    rng = np.random.default_rng(0)
    silence = np.zeros(SR * 2, np.float32)
    white = (0.1 * rng.standard_normal(SR * 2)).astype(np.float32)
    brown = np.cumsum(rng.standard_normal(SR * 2)).astype(np.float32)
    brown = 0.3 * brown / np.abs(brown).max()
    for audio in (silence, white, brown):
        _, conf = tracker.track(audio, sample_rate=SR, frame_rate=50)
        assert np.median(conf) < 0.2
    r = demo_phrase(seconds=4.0, seed=7)
    _, conf = tracker.track(r.audio, sample_rate=SR, frame_rate=50)
    assert np.median(conf[r.f0_hz > 0]) > 0.7


def test_track_frames_matches_track_on_the_centred_grid(tracker):
    r = demo_phrase(seconds=2.0, seed=2)
    est, conf = tracker.track(r.audio, sample_rate=SR, frame_rate=50)
    padded = np.pad(r.audio, (512, 1024))
    k = np.array([20, 40, 60])
    frames = np.stack([padded[i * 320:i * 320 + 1024] for i in k])
    f, c = tracker.track_frames(frames)
    np.testing.assert_allclose(c, conf[k], rtol=1e-4, atol=1e-6)
    voiced = c >= network.VOICED_CONFIDENCE
    np.testing.assert_allclose(f[voiced], est[k][voiced], rtol=1e-4)


def test_feature_tflite_gives_the_keras_f0(tracker, tmp_path):
    from ddsp_train.exporting import feature_model

    path = feature_model.write_feature_model(tmp_path / "features.tflite")
    model = feature_model.FeatureModel(path)
    inputs = model.interpreter.get_input_details()
    assert [d["name"] for d in inputs] == ["call_audio:0"] and list(inputs[0]["shape"]) == [1024]
    names = [d["name"] for d in model.interpreter.get_output_details()]
    assert names == [feature_model.OUTPUT_NAMES[n] for n in feature_model.OUTPUT_ORDER]
    assert feature_model.OUTPUT_ORDER == ("f0_scaled", "pw_scaled", "f0_hz", "pw_db")
    r = demo_phrase(seconds=3.0, seed=5)
    padded = np.pad(r.audio, (1024, 0))
    ends = np.arange(1024, len(padded), 2400)  # causal frames: the last 1024 samples
    frames = np.stack([padded[e - 1024:e] for e in ends] + [np.zeros(1024, np.float32)])
    f0_keras, _ = network.NetworkTracker(use_tflite=False).track_frames(frames)  # TensorFlow, the reference
    for frame, f_k in zip(frames, f0_keras):
        out = model(frame)
        assert abs(cents(out["f0_hz"], f_k)) < 0.5
        assert out["f0_scaled"] == pytest.approx(float(scale_f0_hz(np.float64(out["f0_hz"]))), abs=1e-5)
        assert out["f0_scaled"] == pytest.approx(hz_to_midi(out["f0_hz"]) / 127, abs=1e-5)
        pw = float(features.frame_power_db(frame[None])[0])
        assert out["pw_db"] == pytest.approx(pw, abs=1e-3)
        assert out["pw_scaled"] == pytest.approx(float(scale_power_db(pw)), abs=1e-5)
    assert model(np.zeros(1024))["pw_db"] == pytest.approx(-80.0)


def test_training_script_runs_and_resumes_on_a_tiny_budget(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "scripts"))  # it imports pitch_training_data beside it
    spec = importlib.util.spec_from_file_location("train_pitch_model", REPO / "scripts" / "train_pitch_model.py")
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # its data cache pickles classes of the script
    spec.loader.exec_module(script)
    out = tmp_path / "run"
    args = ["--out", str(out), "--steps", "2", "--batch", "8", "--synth-seconds", "8", "--unvoiced-seconds", "8",
            "--no-midi", "--eval-every", "2"]
    script.main.main(args, standalone_mode=False)
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["seed"] == 0 and recipe["midi"].startswith("skipped")
    assert json.loads((out / "state.json").read_text())["step"] == 2
    for name in ("best.npz", "last.npz"):
        model = network.load_model(out / name)
        assert model(np.zeros((1, 1024), np.float32)).shape == (1, network.N_BINS)
    again = tmp_path / "again"  # the same command from scratch: the same weights (seeded)
    script.main.main([str(again) if a == str(out) else a for a in args], standalone_mode=False)
    first, second = np.load(out / "last.npz"), np.load(again / "last.npz")
    assert sorted(first.files) == sorted(second.files)
    assert all(np.array_equal(first[k], second[k]) for k in first.files)
    args[args.index("--steps") + 1] = "3"
    script.main.main(args, standalone_mode=False)
    assert "resumed at step 2" in (out / "train.log").read_text()
    assert json.loads((out / "state.json").read_text())["step"] == 3
