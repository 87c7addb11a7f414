"""The export's preview (realtime/preview.py): the packaged melody, moved by octaves into the
model's range, played through the .tflite as ddsp-transfer plays it."""
import json
import pathlib
import shutil

import numpy as np
import pytest

from export_support import run_in_process, trained_vst_export


@pytest.fixture(scope="module")
def vst(tmp_path_factory, request):
    """The shared trained and exported tiny vst model (made once per run: tests/export_support.py)."""
    return trained_vst_export(tmp_path_factory, request)


def test_the_export_wrote_the_preview_melody_played_through_the_tflite(vst, tmp_path):
    import soundfile as sf

    from ddsp_train.exporting.metadata import read_metadata
    from ddsp_train.reports import melody
    from ddsp_train.transfer import command as transfer_command

    tflite = pathlib.Path(vst["tflite"])
    preview = tflite.with_name("tinyvst.preview.wav")
    assert "tinyvst.preview.wav" in json.loads((tflite.parent / "export.json").read_text())["files"]
    audio, rate = sf.read(str(preview), dtype="float32")
    assert rate == 16000 and audio.ndim == 1 and len(audio) == len(melody.preview_melody(sample_rate=rate))
    level = lambda x: 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-12)  # noqa: E731
    assert level(audio[: int(0.2 * rate)]) < -60 < level(audio[rate: 9 * rate]) < -6  # the tune starts at 0.25 s
    # It is what ddsp-transfer makes of the packaged melody moved by octaves into the model's range
    # (to 16-bit rounding); the melody an octave off is not.
    meta = read_metadata(tflite.read_bytes())
    low, high = (12 * np.log2(meta[f"mean_{k}_pitch_note_hz"] / 440) + 69 for k in ("min", "max"))
    shift = melody.fit_transpose(low_midi=low, high_midi=high)
    rendered = {}
    for semitones in (shift, shift + 12):
        sf.write(tmp_path / "tune.wav", melody.preview_melody(sample_rate=rate, transpose=semitones), rate,
                 subtype="FLOAT")
        code, _, err = run_in_process(transfer_command, str(tflite), str(tmp_path / "tune.wav"), "--output",
                                      str(tmp_path / "played.wav"), "--normalize", "--overwrite")
        assert code == 0, err
        rendered[semitones] = sf.read(str(tmp_path / "played.wav"), dtype="float32")[0]
    assert np.max(np.abs(rendered[shift] - audio)) < 1e-4
    assert np.max(np.abs(rendered[shift + 12] - audio)) > 0.1
    assert f"Wrote {preview}" in vst["log"]


def test_write_preview_beside_a_copy_of_the_model(vst, tmp_path):
    import soundfile as sf

    from ddsp_train import contract
    from ddsp_train.exporting.metadata import read_metadata
    from ddsp_train.realtime.preview import write_preview

    exported = pathlib.Path(vst["tflite"])
    tflite = tmp_path / "copy.tflite"
    shutil.copy(exported, tflite)
    meta = read_metadata(tflite.read_bytes())
    reference, _ = sf.read(str(exported.with_name("tinyvst.preview.wav")), dtype="float32")
    # Alone, the model plays through the player's room reverb: not the export's preview.
    alone, _ = sf.read(str(write_preview(tflite, meta=meta, say=lambda line: None)), dtype="float32")
    assert len(alone) == len(reference) and np.max(np.abs(alone - reference)) > 0.01
    # With its learned reverb beside it (as ddsp-export writes it): the same file as the export's.
    shutil.copy(exported.with_name("tinyvst" + contract.REVERB_SUFFIX), tmp_path / ("copy" + contract.REVERB_SUFFIX))
    said = []
    path = write_preview(tflite, meta=meta, say=said.append)
    ours, rate = sf.read(str(path), dtype="float32")
    assert path == tmp_path / "copy.preview.wav" and rate == 16000 and sf.info(str(path)).subtype == "PCM_16"
    assert said == [f"Wrote {path} (a melody played through copy.tflite, {len(ours) / 16000:.1f} s)."]
    np.testing.assert_array_equal(ours, reference)
