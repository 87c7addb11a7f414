"""The plugin contract (contract.py): consistent with itself, with the modules that use it, and with
the numbers of docs/plugin-contract.md (the contract in words)."""
import pathlib
import re

from ddsp_train import contract, features
from ddsp_train.dsp import fir, scaling

DOC = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "plugin-contract.md").read_text()


def section(title):
    """The text of the ``## title...`` section of the document."""
    start = DOC.index("\n## " + title)
    end = DOC.find("\n## ", start + 1)
    return DOC[start: end if end > 0 else len(DOC)]


def table(text):
    """``{tensor name: (values, rest of the row)}`` of the markdown tables in ``text``."""
    rows = re.findall(r"^\s*\|\s*`([^`]+:\d+)`\s*\|\s*(\d+)[^|]*\|(.*)\|\s*$", text, re.M)
    return {name: (int(values), rest) for name, values, rest in rows}


def test_the_constants_agree_with_each_other():
    assert contract.HOP * contract.FRAME_RATE == contract.SAMPLE_RATE == 16000
    assert contract.INPUTS == {f"{contract.ENDPOINT}_{name}:0": size for name, size in
                               zip(contract.SIGNATURE_NAMES, (1, 1, contract.STATE_SIZE))}
    assert contract.INPUT_FEATURES == contract.SIGNATURE_NAMES[:2]
    assert list(contract.OUTPUTS) == [f"StatefulPartitionedCall:{i}" for i in range(4)]
    # The dict outputs are numbered in sorted key order (docs): the control names are sorted.
    assert list(contract.CONTROL_NAMES) == sorted(contract.CONTROL_NAMES)
    assert contract.OUTPUTS["StatefulPartitionedCall:3"] == ("state", contract.STATE_SIZE)
    # 65 magnitudes sample DC..Nyquist of the 128-tap filter's 2 (M - 1) = 128-point response.
    assert 2 * (contract.NOISE_BANDS - 1) == contract.NOISE_TAPS
    assert not set(contract.METADATA_PLUGIN_KEYS) & set(contract.METADATA_EXTRA_KEYS)


def test_the_modules_take_their_numbers_from_the_contract():
    assert scaling.DB_RANGE == contract.DB_RANGE and scaling.F0_RANGE == contract.MIDI_MAX
    assert abs(scaling.midi_to_hz(0.0) - scaling.MIN_F0_HZ) < 1e-9
    assert abs(scaling.midi_to_hz(contract.MIDI_MAX) - scaling.MAX_F0_HZ) < 1e-6
    assert fir.PLUGIN_TAPS == contract.NOISE_TAPS
    assert features.default_power_frame_size(contract.SAMPLE_RATE) == contract.FRAME_SIZE
    assert features.hop_size(sample_rate=contract.SAMPLE_RATE, frame_rate=contract.FRAME_RATE) == contract.HOP


def test_the_document_states_the_same_tensors():
    file = section("The file")
    inputs, outputs = table(file.split("- Outputs")[0]), table(file.split("- Outputs")[1])
    assert {name: values for name, (values, _) in inputs.items()} == contract.INPUTS
    assert {name: values for name, (values, _) in outputs.items()} == {
        name: size for name, (_, size) in contract.OUTPUTS.items()}
    for name, (control, _) in contract.OUTPUTS.items():
        if control != "state":
            assert f"`{control}`" in outputs[name][1]
    for name in ("HARMONICS", "NOISE_BANDS", "STATE_SIZE"):
        assert f"{getattr(contract, name)} (`{name}`)" in file
    assert f"`DB_RANGE` = {contract.DB_RANGE:g}" in file
    assert f"{contract.NOISE_TAPS}-tap FIR (`NOISE_TAPS`)" in file
    assert f"endpoint `{contract.ENDPOINT}`" in file
    assert ", ".join(f"`{n}`" for n in contract.SIGNATURE_NAMES[:2]) + f" and `{contract.SIGNATURE_NAMES[2]}`" in file


def test_the_document_states_the_same_timing_metadata_and_folder():
    timing = section("Timing")
    assert f"{contract.SAMPLE_RATE // 1000} kHz, one call every {contract.HOP} samples" in timing
    assert f"({contract.FRAME_RATE} frames/s" in timing
    assert f"**last** {contract.FRAME_SIZE} samples" in timing
    assert re.search(r"`FEATURE_INPUT`\s+`" + re.escape(contract.FEATURE_INPUT) + "`", timing)
    assert ", ".join(contract.FEATURE_OUTPUTS) in timing
    metadata = section("Metadata")
    assert f"`{contract.METADATA_NAME}`" in metadata
    for key in contract.METADATA_PLUGIN_KEYS + contract.METADATA_EXTRA_KEYS:
        assert f"`{key}`" in metadata, key
    folder = section("Where the plugin finds models")
    assert f"`{contract.MODEL_FOLDER.as_posix()}/`" in folder and f"`*{contract.MODEL_SUFFIX}`" in folder
    assert f"`NAME{contract.REVERB_SUFFIX}`" in DOC
