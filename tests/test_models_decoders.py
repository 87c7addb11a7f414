"""The decoder (models/decoders.py): the whole-sequence pass and the plugin's one-frame step agree."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.models.decoders import RnnFcDecoder


def test_decoder_sequence_and_frame_steps_agree():
    decoder = RnnFcDecoder(rnn_channels=16, ch=8, layers_per_stack=2, input_keys=("pw_scaled", "f0_scaled"),
                           output_splits=(("amps", 1), ("harmonic_distribution", 5)))
    rng = np.random.default_rng(0)
    inputs = {k: tf.constant(rng.uniform(0, 1, (3, 9, 1)), tf.float32) for k in ("pw_scaled", "f0_scaled")}
    sequence = decoder(inputs)
    state = tf.zeros([3, 16])
    stepped = []
    for t in range(9):
        out = decoder.step({k: v[:, t] for k, v in inputs.items()}, state)
        state = out["state"]
        stepped.append(out)
    for key, size in (("amps", 1), ("harmonic_distribution", 5)):
        frames = np.stack([s[key].numpy() for s in stepped], axis=1)
        assert frames.shape == (3, 9, size)
        np.testing.assert_allclose(frames, sequence[key].numpy(), atol=1e-5)
    np.testing.assert_allclose(state.numpy(), sequence["state"].numpy(), atol=1e-5)
    # Causal: changing the last frame leaves the earlier outputs alone.
    changed = {k: tf.concat([v[:, :-1], v[:, -1:] + 1.0], axis=1) for k, v in inputs.items()}
    np.testing.assert_allclose(decoder(changed)["amps"].numpy()[:, :-1], sequence["amps"].numpy()[:, :-1], atol=1e-6)


def test_a_sequence_continues_from_a_given_state_and_bad_settings_are_refused():
    decoder = RnnFcDecoder(rnn_channels=8, ch=8, input_keys=("f0_scaled",), output_splits=(("amps", 1), ("x", 3)))
    f0 = tf.constant(np.random.default_rng(2).uniform(0, 1, (2, 10, 1)), tf.float32)
    whole = decoder({"f0_scaled": f0})
    first = decoder({"f0_scaled": f0[:, :6]})
    rest = decoder({"f0_scaled": f0[:, 6:]}, initial_state=first["state"])
    np.testing.assert_allclose(np.concatenate([first["x"], rest["x"]], axis=1), whole["x"].numpy(), atol=1e-5)
    assert set(whole) == {"amps", "x", "state"} and whole["state"].shape == (2, 8)
    with pytest.raises(ValueError, match="at least one input key"):
        RnnFcDecoder(input_keys=())
