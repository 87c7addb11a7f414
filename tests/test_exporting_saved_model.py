"""exporting/saved_model.py ``render_long``: windows of the fixed-length signature put together.

The stand-in signatures are TensorFlow functions whose audio depends on each input feature in its
own way, so a window fed the wrong slice of a feature (or one feature for another) gives wrong
samples, not just a wrong level."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from ddsp_train.exporting.saved_model import render_long  # noqa: E402


def test_saved_model_windows_cross_fade_to_unity():
    n_frames, hop = 21, 10

    def model(f0_hz):  # a constant 1 over its window
        return {"audio": tf.ones([1, (n_frames - 1) * hop])}

    frames = 97
    out = render_long(model, {"f0_hz": np.full(frames, 100.0)}, n_frames=n_frames, hop=hop, overlap_frames=6)
    assert out.shape == ((frames - 1) * hop,)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)


@pytest.mark.parametrize("overlap_frames", [0, 6, 10])
def test_every_window_sees_the_features_of_its_own_frames(overlap_frames):
    """Sample ``j`` of a window is ``f0[j // hop] + 1000 * power[j // hop] + audio[j]`` of that
    window's inputs; put together, sample ``i`` of the output must be the same expression of the
    whole sequence's frame ``i // hop`` (frames centred at ``k * hop``) and sample ``i``."""
    n_frames, hop = 21, 10
    n_samples = (n_frames - 1) * hop
    index = tf.constant(np.arange(n_samples) // hop)

    def model(f0_hz, power_db, audio):
        frame_value = tf.gather(f0_hz[0], index) + 1000.0 * tf.gather(power_db[0], index)
        return {"audio": (frame_value + audio[0])[None]}

    frames = 83
    rng = np.random.default_rng(0)
    f0 = rng.uniform(100, 200, frames).astype(np.float32)
    power = rng.uniform(-60, -10, frames).astype(np.float32)
    audio = rng.uniform(-1, 1, (frames - 1) * hop).astype(np.float32)
    out = render_long(model, {"f0_hz": f0, "power_db": power, "audio": audio}, n_frames=n_frames, hop=hop,
                      overlap_frames=overlap_frames)
    i = np.arange(len(out))
    expected = f0[i // hop] + 1000.0 * power[i // hop] + audio
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-2)
