"""The MFCC z encoder (models/encoders.py): MFCCs on the shared frame grid, the encoder's shape."""
import numpy as np
import pytest

from ddsp_train.models.encoders import MfccRnnEncoder, mfcc


def test_mfcc_on_the_frame_grid_and_encoder_shape():
    sr, hop, n = 16000, 320, 16000
    rng = np.random.default_rng(0)
    audio = np.zeros((1, n), np.float32)
    audio[0, 25 * hop - 32: 25 * hop + 32] = rng.standard_normal(64)  # a click centred on frame 25
    coefficients = mfcc(audio, sample_rate=sr, hop=hop).numpy()
    assert coefficients.shape == (1, n // hop + 1, 30)
    energy = coefficients[0, :, 0]  # c0: the mean log-mel energy of each frame
    assert int(np.argmax(energy)) == 25
    assert abs(energy[24] - energy[26]) < 0.05 * (energy[25] - energy[0])  # frames centred at k * hop
    z = MfccRnnEncoder(sample_rate=sr, frame_rate=50, rnn_channels=8, z_dims=4)({"audio": audio})
    assert z.shape == (1, n // hop + 1, 4)


def test_the_encoder_reads_audio_and_refuses_a_rate_off_the_grid():
    assert MfccRnnEncoder.input_keys == ("audio",) and MfccRnnEncoder.MIXED_PRECISION
    with pytest.raises(ValueError, match="not a multiple"):
        MfccRnnEncoder(sample_rate=16000, frame_rate=30)
    # The MFCCs depend on the audio: a tone and silence give different coefficients.
    t = np.arange(8000) / 16000
    tone = mfcc(np.sin(2 * np.pi * 440 * t)[None].astype(np.float32), sample_rate=16000, hop=320).numpy()
    silence = mfcc(np.zeros((1, 8000), np.float32), sample_rate=16000, hop=320).numpy()
    assert tone.shape == silence.shape == (1, 26, 30)
    assert tone[0, 10, 0] - silence[0, 10, 0] > 10  # c0 (mean log-mel energy) far above the log(1e-6) floor
    np.testing.assert_allclose(silence[0, :, 1:], 0.0, atol=1e-3)  # a flat log-mel spectrum has no higher terms
