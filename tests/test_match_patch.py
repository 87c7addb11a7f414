"""The patch: bounds, normalised form, and the .patch.json round trip (patch -> json -> patch -> same audio)."""
import json

import numpy as np
import pytest

from ddsp_train.errors import UserError
from ddsp_train.match import patch as P


def test_every_parameter_is_named_with_units_and_bounds():
    assert len(set(P.NAMES)) == len(P.PARAMS)
    for p in P.PARAMS:
        assert p.unit and p.description and p.low < p.high and p.low <= p.default <= p.high, p


def test_normalise_is_the_inverse_of_denormalise():
    rng = np.random.default_rng(0)
    u = rng.uniform(0, 1, (5, len(P.PARAMS))).astype(np.float32)
    np.testing.assert_allclose(P.normalise(P.denormalise(u)), u, atol=1e-5)
    assert P.normalise(P.LOW).max() == 0 and P.normalise(P.HIGH).min() == 1


def test_canonical_envelope_peaks_at_zero_db():
    v = P.DEFAULTS.copy()
    v[: P.N_ENVELOPE] -= 12.0
    c = P.canonical_values(v)
    assert c[: P.N_ENVELOPE].max() == 0.0
    np.testing.assert_allclose(c[: P.N_ENVELOPE] - v[: P.N_ENVELOPE], 12.0)


def test_json_round_trip_keeps_values_target_and_loss(tmp_path):
    rng = np.random.default_rng(1)
    patch = P.Patch.from_array(P.denormalise(rng.uniform(0, 1, len(P.PARAMS))),
                               target={"name": "x", "pitch_min_hz": 200.0}, loss={"estimate": 1.5, "refined": 1.2})
    path = tmp_path / "a.patch.json"
    path.write_text(patch.to_json())
    back = P.Patch.read(path)
    np.testing.assert_allclose(back.array(), patch.array(), atol=1e-4)  # 4 decimals in the file
    assert back.target == patch.target and back.loss == patch.loss
    entry = json.loads(path.read_text())["parameters"][0]
    assert set(entry) >= {"name", "value", "unit", "min", "max", "description"}


def test_a_hand_written_table_with_missing_parameters_takes_defaults():
    patch = P.Patch.from_dict({"format": P.FORMAT, "parameters": {"even_db": -20}})
    assert patch["even_db"] == -20 and patch["noise_db"] == P.DEFAULTS[P.INDEX["noise_db"]]


@pytest.mark.parametrize("data, words", [
    ({"format": "something else"}, "not a .patch.json"),
    ({"format": P.FORMAT, "parameters": [{"name": "wobble", "value": 1}]}, "unknown parameter 'wobble'"),
    ({"format": P.FORMAT, "parameters": [{"name": "even_db", "value": 99}]}, "outside -40..6"),
    ({"format": P.FORMAT, "parameters": [{"name": "even_db", "value": "loud"}]}, "not a finite number"),
])
def test_bad_patch_files_are_one_line_errors(data, words):
    with pytest.raises(UserError) as e:
        P.Patch.from_dict(data)
    assert words in e.value.message and "\n" not in e.value.message


def test_unreadable_patch_files(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        P.Patch.read(tmp_path / "missing.patch.json")
    (tmp_path / "bad.patch.json").write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        P.Patch.read(tmp_path / "bad.patch.json")


def test_json_round_trip_gives_the_same_audio(tmp_path):
    from ddsp_train.match.render import render_numpy

    rng = np.random.default_rng(2)
    patch = P.Patch.from_array(P.denormalise(rng.uniform(0, 1, len(P.PARAMS))))
    (tmp_path / "p.patch.json").write_text(patch.to_json())
    back = P.Patch.read(tmp_path / "p.patch.json")
    f0 = np.full(51, 196.0, np.float32)
    power = np.linspace(-50, -20, 51).astype(np.float32)
    a, b = render_numpy(patch.array(), f0, power), render_numpy(back.array(), f0, power)
    assert np.abs(a).max() > 1e-3
    np.testing.assert_allclose(b, a, atol=2e-3 * np.abs(a).max())
