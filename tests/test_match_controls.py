"""Patch -> controls: the synth plays at the input's power, the envelope is over Hz, the follower smooths."""
import numpy as np

from ddsp_train import features
from ddsp_train.match import controls as C
from ddsp_train.match import patch as P
from ddsp_train.match.render import render_numpy


def _controls(patch, f0, power):
    out = C.controls(patch.array()[None], np.float32(f0)[None], np.float32(power)[None])
    return {k: v.numpy()[0] for k, v in out.items()}


def test_rendered_power_follows_the_input_power_for_any_noise_mix():
    f0 = np.full(101, 220.0, np.float32)
    for noise_db in (-60.0, 0.0, 15.0):
        for level in (-45.0, -20.0):
            patch = P.Patch.default().replace(noise_db=noise_db)
            audio = render_numpy(patch.array(), f0, np.full(101, level, np.float32))
            measured = features.compute_power_db(audio, sample_rate=16000, frame_rate=50)[20:-20]
            assert abs(float(np.median(measured)) - level) < 1.0, (noise_db, level, np.median(measured))


def test_gain_db_moves_the_output_power():
    f0 = np.full(101, 220.0, np.float32)
    audio = render_numpy(P.Patch.default().replace(gain_db=-10).array(), f0, np.full(101, -20.0, np.float32))
    assert abs(np.median(features.compute_power_db(audio, sample_rate=16000, frame_rate=50)[20:-20]) + 30) < 1.0


def test_distribution_sums_to_one_and_is_zero_at_and_above_8_khz():
    out = _controls(P.Patch.default(), [100.0, 440.0, 3000.0], [-30.0] * 3)
    np.testing.assert_allclose(out["harmonic_distribution"].sum(-1), 1.0, atol=1e-5)
    for f0, dist in zip((100.0, 440.0, 3000.0), out["harmonic_distribution"]):
        k = np.arange(1, 61)
        assert (dist[k * f0 >= 8000] == 0).all() and (dist[k * f0 < 7000] > 0).all()


def test_the_envelope_is_over_hz_so_a_formant_stays_put_across_pitch():
    env = np.full(P.N_ENVELOPE, -40.0)
    env[P.ENVELOPE_HZ.index(1000.0)] = 0.0  # one formant at 1 kHz
    patch = P.Patch.from_array(np.concatenate([env, P.DEFAULTS[P.N_ENVELOPE:]])).replace(brightness_slope=0)
    for f0 in (100.0, 125.0, 250.0):
        dist = _controls(patch, [f0], [-30.0])["harmonic_distribution"][0]
        strongest = (np.argmax(dist) + 1) * f0
        assert strongest == 1000.0, (f0, strongest)


def test_brightness_slope_makes_loud_notes_brighter_and_even_db_cuts_even_harmonics():
    patch = P.Patch.default().replace(brightness_slope=4.0)
    out = _controls(patch, [200.0, 200.0], [-50.0, -10.0])
    k = np.arange(1, 61)
    centroid = (out["harmonic_distribution"] * k).sum(-1)
    assert centroid[1] > 1.5 * centroid[0]
    hollow = _controls(P.Patch.default().replace(even_db=-40), [200.0], [-30.0])["harmonic_distribution"][0]
    assert hollow[1] < 0.02 * hollow[0] and hollow[2] > 0.2 * hollow[0]


def test_follower_passes_through_at_zero_and_smooths_with_attack_and_release():
    power = np.full((1, 60), -80.0, np.float32)
    power[0, 10:40] = -20.0
    through = C.follow_sequence(P.Patch.default().array()[None], power).numpy()[0]
    np.testing.assert_allclose(through, power[0], atol=1e-4)
    slow = C.follow_sequence(P.Patch.default().replace(attack_ms=100, release_ms=400).array()[None], power).numpy()[0]
    # After one 20 ms frame with tau = 100 ms: -80 + 60 (1 - e^-0.2) = -69.1 dB.
    np.testing.assert_allclose(slow[10], -80 + 60 * (1 - np.exp(-0.2)), atol=1e-3)
    assert slow[39] > -21 and slow[45] > through[45] + 30  # the release still rings after the note
