"""The plugin's noise FIR design in numpy (dsp/fir.py): the frequency response it promises, its
symmetry and delay, and the constants of the design."""
import numpy as np
import pytest

from ddsp_train.dsp import fir


def response(taps, n_magnitudes):
    """|H| of ``taps`` at the magnitudes' frequencies (DC..Nyquist, ``n_magnitudes`` points)."""
    return np.abs(np.fft.rfft(taps, 2 * (n_magnitudes - 1)))


def test_linear_phase_causal_taps_with_the_sampled_response():
    rng = np.random.default_rng(0)
    mags = rng.uniform(0, 1, (3, 65))
    taps = fir.frequency_sampling_fir(mags)
    assert taps.shape == (3, 128) and taps.dtype == np.float32
    # Symmetric about the centre c = 64 (linear phase, a delay of 64 samples); tap 0 is windowed to 0.
    np.testing.assert_allclose(taps[:, 1:], taps[:, :0:-1], atol=1e-7)
    assert np.all(taps[:, 0] == 0)
    # A flat response is a delayed impulse (the Hann window is 1 at the centre): |H| = 1 exactly.
    flat = np.ones(65)
    delta = fir.frequency_sampling_fir(flat)
    np.testing.assert_allclose(response(delta, 65), 1.0, atol=1e-6)
    assert delta[64] == pytest.approx(1.0) and np.abs(np.delete(delta, 64)).max() < 1e-6
    # A smooth response survives the window: a low-pass stays a low-pass.
    lowpass = np.clip(1.5 - np.arange(65) / 20, 0, 1)
    h = response(fir.frequency_sampling_fir(lowpass), 65)
    assert np.abs(h[:10] - 1).max() < 0.05 and h[50:].max() < 0.05


def test_the_design_constants():
    ir_size, taps, index, window = fir.fir_constants(65, 128)
    assert (ir_size, taps) == (128, 128)
    np.testing.assert_array_equal(index, (np.arange(128) - 64) % 128)
    np.testing.assert_allclose(window, np.hanning(129)[:128], atol=1e-12)  # periodic Hann, peak 1 at 64
    assert window[64] == 1.0
    # Fewer taps than the response: the window shortens the filter; n_taps <= 0 keeps the whole response.
    assert fir.fir_constants(65, 32)[:2] == (128, 32)
    assert fir.fir_constants(9, 128)[:2] == (16, 16) and fir.fir_constants(9, 0)[:2] == (16, 16)
    short = fir.frequency_sampling_fir(np.ones(65), n_taps=32)
    assert short.shape == (32,) and short[16] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 2 magnitudes"):
        fir.fir_constants(1, 128)


def test_equals_the_tensorflow_design():
    import tensorflow as tf

    from ddsp_train.dsp import filtering

    mags = np.random.default_rng(1).uniform(0, 2, (2, 4, 65)).astype(np.float32)
    ours = fir.frequency_sampling_fir(mags)
    theirs = filtering.frequency_sampling_fir(tf.constant(mags), n_taps=128)
    np.testing.assert_allclose(np.asarray(theirs), ours, atol=1e-5)
