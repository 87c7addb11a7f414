"""The project's own plugin-contract checker (ddsp_train.exporting.plugin_check) and ``ddsp-export --check``:
a file that meets the contract passes; files built by hand to break one rule each fail exactly that rule."""
import json

import numpy as np
import pytest

from ddsp_train import contract
from ddsp_train.exporting import metadata, plugin_check
from export_support import export_main_without_tensorflow

GOOD_META = {"mean_min_pitch_note_hz": 196.0, "mean_max_pitch_note_hz": 784.0, "mean_min_pitch_note": 55.0,
             "mean_max_pitch_note": 79.0, "mean_min_power_note": -40.0, "mean_max_power_note": -12.0,
             "version": "ddsp-train test", "export_time": "2026-01-01T00:00:00Z"}


def toy_flatbuffer(variant: str) -> bytes:
    """A one-frame control model of the plugin's form, tiny weights, with one rule broken by ``variant``."""
    import keras
    import tensorflow as tf

    from ddsp_train import tflite

    class Toy(keras.layers.Layer):
        def build(self, _):
            self.w = self.add_weight(shape=(2, 126), initializer=keras.initializers.RandomNormal(seed=1))

        def call(self, x):
            return tf.matmul(x, self.w)

    layer = Toy()
    layer(tf.zeros([1, 2]))

    def call(f0_scaled, pw_scaled, state):
        h = layer(tf.concat([f0_scaled, pw_scaled], -1))
        amplitude = tf.nn.softplus(h[:, :1])
        noise = tf.nn.softplus(h[:, 61:])
        f0_hz = 440.0 * tf.pow(2.0, (127.0 * f0_scaled - 69.0) / 12.0)
        below = tf.cast(tf.range(1, 61, dtype=tf.float32)[None] * f0_hz < 8000.0, tf.float32)
        dist = tf.nn.softmax(h[:, 1:61])
        if variant != "above_nyquist":
            dist = dist * below
            dist = dist / tf.reduce_sum(dist, -1, keepdims=True)
        if variant == "unnormalised":
            dist = tf.sigmoid(h[:, 1:61]) * below
        if variant == "negative_noise":
            noise = noise - 100.0
        if variant == "nan":
            amplitude = amplitude * tf.math.log(-tf.ones_like(amplitude))
        new_state = tf.zeros_like(state) if variant == "stuck_state" else tf.tanh(0.5 * state + pw_scaled)
        return {"amplitude": amplitude, "harmonic_distribution": dist, "noise_magnitudes": noise,
                "state": new_state}

    names = ("f0", "pw", "memory") if variant == "wrong_names" else contract.SIGNATURE_NAMES
    signature = [tf.TensorSpec([1, 1], tf.float32, name=names[0]), tf.TensorSpec([1, 1], tf.float32, name=names[1]),
                 tf.TensorSpec([1, contract.STATE_SIZE], tf.float32, name=names[2])]
    return tflite.convert(layer, call, signature)


@pytest.fixture(scope="module")
def toy():
    cache = {}

    def get(variant: str = "good") -> bytes:
        if variant not in cache:
            cache[variant] = toy_flatbuffer(variant)
        return cache[variant]

    return get


def failed(content: bytes) -> list[str]:
    return [f.name for f in plugin_check.check_plugin_file(content) if not f.ok]


def test_a_file_that_meets_the_contract_passes_every_rule(toy):
    findings = plugin_check.check_plugin_file(metadata.append_metadata(toy(), GOOD_META))
    assert [f.name for f in findings if not f.ok] == []
    names = {f.name for f in findings}
    for rule in ("loads with builtin ops only", "builtin ops only, no resource variables", "input names",
                 "output names", plugin_check.RUNS, "outputs are finite", "amplitude >= 0",
                 "harmonic distribution is zero at or above Nyquist", "harmonic distribution sums to 1",
                 "metadata has the keys the plugin reads", "pitch range is finite with min < max"):
        assert rule in names, rule


@pytest.mark.parametrize("variant, rule", [
    ("wrong_names", "input names"),
    ("unnormalised", "harmonic distribution sums to 1"),
    ("above_nyquist", "harmonic distribution is zero at or above Nyquist"),
    ("negative_noise", "noise magnitudes >= 0"),
    ("nan", "outputs are finite"),
    ("stuck_state", "state changes from frame to frame"),
])
def test_a_file_that_breaks_one_rule_fails_that_rule(toy, variant, rule):
    assert failed(metadata.append_metadata(toy(variant), GOOD_META)) == (
        [rule, "amplitude >= 0"] if variant == "nan" else [rule])


@pytest.mark.parametrize("meta, rule", [
    (None, "metadata.json appended as a zip"),
    ({k: v for k, v in GOOD_META.items() if k != "export_time"}, "metadata has the keys the plugin reads"),
    (dict(GOOD_META, mean_min_power_note=-5.0), "power range is finite with min < max"),
    (dict(GOOD_META, mean_max_pitch_note_hz=float("nan")), "pitch range is finite with min < max"),
    (dict(GOOD_META, mean_min_pitch_note_hz="low"), "pitch range is finite with min < max"),
])
def test_metadata_rules(toy, meta, rule):
    content = toy() if meta is None else metadata.append_metadata(toy(), meta)
    assert failed(content) == [rule]


def test_the_nyquist_rule_follows_the_pitch_of_each_frame():
    # 60 harmonics at MIDI 100 (2637 Hz): harmonics 4.. reach 8 kHz and must be zero.
    f0 = plugin_check.midi_to_hz(np.array([100.0]))
    dist = np.zeros((1, 60))
    dist[0, :3] = 1 / 3
    out = {"amplitude": np.ones((1, 1)), "harmonic_distribution": dist, "noise_magnitudes": np.ones((1, 65)),
           "state": np.zeros((1, 512)), "f0_hz": f0}
    assert all(f.ok for f in plugin_check.check_outputs(out) if "Nyquist" in f.name)
    dist[0, 3] = 1e-3
    assert [f.name for f in plugin_check.check_outputs(out) if not f.ok][0] == \
        "harmonic distribution is zero at or above Nyquist"


def run_check(path):
    return export_main_without_tensorflow("--check", path)


def test_check_command_passes_a_good_file_without_tensorflow(toy, tmp_path):
    path = tmp_path / "Toy.tflite"
    path.write_bytes(metadata.append_metadata(toy(), GOOD_META))
    proc = run_check(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == f"{path}: all {len(lines) - 1} checks passed." and all(l.startswith("ok") for l in lines[:-1])


def test_check_command_fails_a_broken_file_with_one_error_line(toy, tmp_path):
    path = tmp_path / "Bad.tflite"
    path.write_bytes(metadata.append_metadata(toy("unnormalised"), GOOD_META))
    proc = run_check(path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  harmonic distribution sums to 1" in proc.stdout
    assert proc.stderr.strip().splitlines() == [
        f"Error: {path}: 1 of {len(proc.stdout.splitlines())} checks failed (harmonic distribution sums to 1); "
        "the DDSP-VST plugin cannot use it as it is"]


@pytest.mark.parametrize("kind, message", [("missing", "does not exist"), ("folder", "is a folder"),
                                           ("text", "is not a TFLite model")])
def test_check_command_refuses_what_is_not_a_model_file(tmp_path, kind, message):
    path = {"missing": tmp_path / "nope.tflite", "folder": tmp_path, "text": tmp_path / "notes.tflite"}[kind]
    if kind == "text":
        path.write_text(json.dumps(GOOD_META))
    proc = run_check(path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith(f"Error: --check {path} {message}") and len(proc.stderr.splitlines()) == 1
