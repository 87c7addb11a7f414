"""The estimator's random training examples (match/examples.py): patches inside their bounds with a
canonical envelope, notes as documented, seeded, rendered by the synth."""
import numpy as np

from ddsp_train.dsp.scaling import hz_to_midi
from ddsp_train.match import examples
from ddsp_train.match import patch as P


def test_random_patches_are_in_bounds_and_only_the_matched_parameters_vary():
    values = examples.random_values(np.random.default_rng(0), 200)
    assert values.shape == (200, len(P.NAMES))
    assert (values >= P.LOW - 1e-4).all() and (values <= P.HIGH + 1e-4).all()
    np.testing.assert_allclose(values[:, : P.N_ENVELOPE].max(axis=1), 0.0, atol=1e-4)  # peaks at 0 dB
    fixed = [i for i in range(len(P.NAMES)) if i not in set(P.MATCHED) and i >= P.N_ENVELOPE]
    np.testing.assert_allclose(values[:, fixed], np.broadcast_to(P.DEFAULTS[fixed], (200, len(fixed))), atol=1e-5)
    spread = values[:, [i for i in P.MATCHED if i >= P.N_ENVELOPE]].std(axis=0)
    assert (spread > 0).all()
    # A random walk, not white noise: neighbouring envelope points are closer than distant ones.
    env = values[:, : P.N_ENVELOPE]
    assert np.mean(np.abs(np.diff(env, axis=1))) < np.mean(np.abs(env[:, -1] - env[:, 0]))
    np.testing.assert_array_equal(examples.random_values(np.random.default_rng(0), 200), values)


def test_random_notes_are_as_documented():
    rng = np.random.default_rng(1)
    for _ in range(20):
        f0, power = examples.random_performance(rng)
        assert f0.shape == power.shape == (101,) and f0.dtype == power.dtype == np.float32
        midi = hz_to_midi(f0.astype(np.float64))
        assert 36 - 0.31 <= midi.min() and midi.max() <= 84 + 0.31 and midi.max() - midi.min() <= 0.61
        assert power[0] == -80.0 and power[-1] == -80.0  # from silence, back to silence
        assert -40.0 - 1e-4 <= power.max() <= -10.0 + 1e-4
        voiced = examples.voiced_frames(power)
        assert voiced.any() and not voiced[0] and not voiced[-1]
        assert np.all(power[voiced] >= max(-60.0, power.max() - 40.0))


def test_render_batch_plays_each_patch_on_its_note():
    rng = np.random.default_rng(2)
    values = examples.random_values(rng, 2)
    perfs = [examples.random_performance(rng, seconds=1.0) for _ in range(2)]
    audio = examples.render_batch(values, perfs, seed=0)
    assert audio.shape == (2, 50 * 320)
    from ddsp_train import features

    for a, (f0, power) in zip(audio, perfs):
        measured = features.compute_power_db(a, sample_rate=16000, frame_rate=50)
        peak = int(np.argmax(power))
        assert abs(measured[peak] - power[peak]) < 3.0  # the synth plays at the note's power
    np.testing.assert_array_equal(examples.render_batch(values, perfs, seed=0), audio)
