"""Processor convention and a gin-wired harmonic + noise + add (+ reverb) DAG with gradients."""
import gin
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.dsp import losses, noise, processors, reverb, synths

N, SR, HOP = 8000, 16000, 320
T = N // HOP + 1


def raw_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "amps": tf.constant(rng.normal(size=(2, T, 1)), tf.float32),
        "dist": tf.constant(rng.normal(size=(2, T, 20)), tf.float32),
        "f0_hz": tf.constant(rng.uniform(100, 900, size=(2, T, 1)), tf.float32),
        "mags": tf.constant(rng.normal(size=(2, T, 65)), tf.float32),
    }


def test_group_wires_harmonic_noise_add():
    harmonic = synths.Harmonic(N, SR)
    filtered = noise.FilteredNoise(N)
    group = processors.ProcessorGroup([
        (harmonic, ["amps", "dist", "f0_hz"]),
        (filtered, ["mags"]),
        (processors.Add(), ["harmonic/signal", "noise/signal"]),
    ])
    inputs = raw_inputs()
    out = group(inputs)
    for key in ("harmonic/controls/amplitudes", "harmonic/controls/harmonic_distribution",
                "harmonic/controls/f0_hz", "noise/controls/magnitudes", "harmonic/signal", "noise/signal",
                "add/signal", "out", "amps"):
        assert key in out, key
    np.testing.assert_allclose(out["out"].numpy(), (out["harmonic/signal"] + out["noise/signal"]).numpy(), atol=1e-6)
    # The harmonic part is deterministic: call() = get_signal(**get_controls()).
    np.testing.assert_allclose(out["harmonic/signal"].numpy(),
                               harmonic(inputs["amps"], inputs["dist"], inputs["f0_hz"]).numpy(), atol=1e-6)
    controls = harmonic.get_controls(inputs["amps"], inputs["dist"], inputs["f0_hz"])
    np.testing.assert_allclose(out["harmonic/controls/harmonic_distribution"].numpy(),
                               controls["harmonic_distribution"].numpy())


def test_group_errors_name_the_problem():
    with pytest.raises(KeyError, match="missing_key"):
        processors.ProcessorGroup([(processors.Add(), ["missing_key"])])(raw_inputs())
    with pytest.raises(ValueError, match="unique"):
        processors.ProcessorGroup([(processors.Add(), ["amps"]), (processors.Add(), ["amps"])])


def test_gin_dag_synth_noise_reverb_loss_has_finite_nonzero_gradients():
    config = f"""
    import ddsp_train.dsp.synths
    import ddsp_train.dsp.noise
    import ddsp_train.dsp.reverb
    import ddsp_train.dsp.processors
    Harmonic.n_samples = {N}
    Harmonic.sample_rate = {SR}
    FilteredNoise.n_samples = {N}
    Reverb.reverb_length = 800
    ProcessorGroup.dag = [
        (@synths.Harmonic(), ["amps", "dist", "f0_hz"]),
        (@noise.FilteredNoise(), ["mags"]),
        (@processors.Add(), ["harmonic/signal", "noise/signal"]),
        (@reverb.Reverb(), ["add/signal"]),
    ]
    """
    with gin.unlock_config():
        gin.clear_config()
        gin.parse_config(config)
        group = gin.get_configurable(processors.ProcessorGroup)()
        gin.clear_config()
    assert [p.name for p in group.processors] == ["harmonic", "noise", "add", "reverb"]
    assert [v.name for v in group.trainable_variables] == ["ir"]
    inputs = raw_inputs(1)
    target = tf.constant(np.random.default_rng(2).normal(size=(2, N)) * 0.1, tf.float32)
    watched = [inputs["amps"], inputs["dist"], inputs["mags"]]
    with tf.GradientTape() as tape:
        tape.watch(watched)
        loss = losses.SpectralLoss()(target, group(inputs)["out"])
    grads = tape.gradient(loss, watched + group.trainable_variables)
    for grad in grads:
        grad = grad.numpy()
        assert np.all(np.isfinite(grad)) and np.abs(grad).max() > 0
