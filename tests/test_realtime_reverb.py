"""realtime/reverb.py: dry at unity plus a wet convolution (room or a learned impulse response)."""
import numpy as np
import pytest
import soundfile as sf

from ddsp_train.errors import UserError
from ddsp_train.realtime.reverb import (add_reverb, learned_reverb_path, read_impulse_response,
                                        room_impulse_response, room_reverb)


def test_room_reverb_keeps_the_dry_signal_at_unity_and_adds_a_decaying_unit_energy_tail():
    x = np.zeros(3000, np.float32)
    x[0] = 1.0  # an impulse returns delta + wet * h
    y = room_reverb(x, sample_rate=1000, seconds=1.0, wet=0.25, seed=2)
    assert y[0] == pytest.approx(1.0, abs=1e-7)  # the dry part's gain is 1 (h[0] = 0: the direct sound is dry)
    h = (y - x) / 0.25
    assert np.sum(h[:1000] ** 2) == pytest.approx(1.0, rel=1e-4) and np.abs(h[1000:]).max() < 1e-6
    early, late = np.sum(h[1:101] ** 2), np.sum(h[900:1000] ** 2)
    assert late < 1e-3 * early  # 60 dB of decay over the second
    np.testing.assert_allclose(room_reverb(x, sample_rate=1000, wet=0.0), x, atol=1e-7)


def test_the_dry_gain_of_a_tone_is_one_and_the_wet_part_is_the_convolution():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(4000).astype(np.float32)
    h = room_impulse_response(sample_rate=1000, seconds=0.5, seed=3)
    y = add_reverb(x, h, wet=0.5)
    np.testing.assert_allclose(y, x + 0.5 * np.convolve(x, h)[:4000], atol=1e-4)
    # Dry in, dry out: regressing y on x alone (h is uncorrelated with the signal's present) gives 1.
    assert float(np.dot(y, x) / np.dot(x, x)) == pytest.approx(1.0, abs=0.05)
    # A learned response holds its own direct path: played fully wet, nothing of x is added.
    np.testing.assert_allclose(add_reverb(x, h, wet=1.0, dry=0.0), np.convolve(x, h)[:4000], atol=1e-4)


def test_learned_impulse_response_is_read_beside_the_model(tmp_path):
    model = tmp_path / "Violin.tflite"
    assert learned_reverb_path(model) == tmp_path / "Violin.reverb.wav"
    ir = np.zeros(800, np.float32)
    ir[[100, 400]] = [0.5, -0.25]
    sf.write(learned_reverb_path(model), ir, 8000, subtype="FLOAT")
    np.testing.assert_array_equal(read_impulse_response(learned_reverb_path(model), sample_rate=8000), ir)
    assert len(read_impulse_response(learned_reverb_path(model), sample_rate=16000)) == 1600
    (tmp_path / "Bad.reverb.wav").write_bytes(b"not audio")
    with pytest.raises(UserError, match="not readable audio.*--no-reverb"):
        read_impulse_response(tmp_path / "Bad.reverb.wav", sample_rate=8000)
