"""Rendering a patch (match/render.py): the grid's length, seeded noise, the harmonic part on the
notes of f0 and the filtered noise added to it."""
import numpy as np

from ddsp_train.match import controls as C
from ddsp_train.match import patch as P
from ddsp_train.match.render import n_samples_for, render, render_numpy, white_noise


def test_the_grid_and_the_seeded_noise():
    assert n_samples_for(101) == 32000 and n_samples_for(1) == 0
    a, b, c = white_noise(2, 1000, seed=4).numpy(), white_noise(2, 1000, seed=4).numpy(), white_noise(2, 1000, seed=5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and a.shape == (2, 1000) and -1 <= a.min() and a.max() < 1
    assert abs(a.mean()) < 0.05 and abs(a.var() - 1 / 3) < 0.03  # uniform in [-1, 1)


def test_without_noise_the_sound_is_on_the_harmonics_of_f0():
    values = P.Patch.default().replace(noise_db=-60.0).array()[None]
    f0, power = np.full((1, 51), 250.0, np.float32), np.full((1, 51), -20.0, np.float32)
    silent = np.zeros((1, 16000), np.float32)
    harmonic = render(values, f0, power, noise=silent).numpy()[0]
    assert harmonic.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(harmonic[4000:12000]))  # 0.5 s: 2 Hz bins
    on = spectrum[125 * np.arange(1, 32)]  # harmonics below 8 kHz
    assert spectrum.sum() - on.sum() < 0.01 * spectrum.sum()  # all the energy sits on multiples of 250 Hz
    # The noise is filtered and added: a different noise changes the sound only by the noise part.
    noisy = P.Patch.default().replace(noise_db=0.0).array()[None]
    a = render(noisy, f0, power, seed=1).numpy()[0]
    b = render(noisy, f0, power, seed=2).numpy()[0]
    only_harmonic = render(noisy, f0, power, noise=silent).numpy()[0]
    assert np.std(a - only_harmonic) > 0.1 * np.std(only_harmonic) and not np.array_equal(a, b)
    np.testing.assert_allclose(render(noisy, f0, power, noise=white_noise(1, 16000, seed=1)).numpy()[0], a)


def test_a_given_follower_output_and_the_numpy_wrapper_give_the_same_audio():
    values = P.Patch.default().array()
    f0 = np.linspace(200, 300, 51).astype(np.float32)
    power = np.concatenate([np.full(10, -80.0), np.full(41, -25.0)]).astype(np.float32)
    direct = render(values[None], f0[None], power[None], seed=3).numpy()[0]
    followed = C.follow_sequence(values[None].astype(np.float32), power[None])
    np.testing.assert_allclose(render(values[None], f0[None], power[None], seed=3, followed_db=followed).numpy()[0],
                               direct, atol=1e-6)
    wrapped = render_numpy(values, f0, power, seed=3)
    assert wrapped.dtype == np.float32 and wrapped.shape == (50 * 320,)
    np.testing.assert_allclose(wrapped, direct, atol=1e-6)
    assert np.abs(wrapped[: 8 * 320]).max() < np.abs(wrapped[20 * 320:]).max() / 100  # silent while power is -80 dB
