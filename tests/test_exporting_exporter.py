"""The export's library parts (exporting/exporter.py) that need no export: the result line, the
examples it checks with, and a model page that cannot be written. (Whole exports: tests/test_export.py.)"""
import pathlib

import numpy as np

from ddsp_train.dsp.scaling import hz_to_midi
from ddsp_train.exporting import exporter


def test_a_model_page_that_cannot_be_written_is_one_warning_not_a_failed_export(tmp_path):
    from ddsp_train.exporting.exporter import refresh_model_report

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    notes = []
    assert refresh_model_report(blocker / "model", selfcheck_json=None, say=notes.append) is None
    assert len(notes) == 1 and notes[0].startswith("Warning:") and "report.html not refreshed" in notes[0]


def test_the_result_line_names_what_was_written_and_tidied():
    result = exporter.ExportResult(step=3, tflite=pathlib.Path("out/a.tflite"), features=pathlib.Path("out/features.tflite"),
                                   examples_source="2 eval examples of data", gain_db=1.34,
                                   installed=pathlib.Path("plugin/a.tflite"), removed=["b.tflite"], foreign=["notes.txt"])
    assert result.summary() == ("Exported step 3: out/a.tflite, out/features.tflite; self-check passed on 2 eval "
                                "examples of data; level gain +1.3 dB; installed plugin/a.tflite; removed stale files "
                                "of an earlier export: b.tflite; left alone (not written by ddsp-export): notes.txt.")
    saved = exporter.ExportResult(step=7, saved_model=pathlib.Path("m.saved_model"))
    assert saved.summary() == "Exported step 7: m.saved_model."
    refused = exporter.ExportRefused("no", reasons=["an encoder"])
    assert refused.exit_code == 2 and refused.reasons == ["an encoder"]


def test_synthesized_examples_sweep_the_trained_ranges():
    meta = {"mean_min_pitch_note_hz": 220.0, "mean_max_pitch_note_hz": 880.0,
            "mean_min_power_note": -40.0, "mean_max_power_note": -10.0}
    examples = exporter.synthesized_examples(meta, frames=201, count=2)
    assert len(examples) == 2 and all(e["f0_hz"].shape == e["power_db"].shape == (201,) for e in examples)
    up, down = (hz_to_midi(e["f0_hz"].astype(np.float64)) for e in examples)
    assert abs(up[0] - 57) < 0.31 and abs(up[-1] - 81) < 0.31  # A3 -> A5 (plus 0.3 semitones of vibrato)
    assert abs(down[0] - 81) < 0.31 and abs(down[-1] - 57) < 0.31
    for e in examples:
        assert np.all(e["power_db"][:20] == -80.0)  # silence, then the onset
        assert -40.0 - 1e-4 <= e["power_db"][20:].min() and e["power_db"].max() <= -10.0 + 1e-4
        assert e["power_db"].max() > -10.5
    again = exporter.synthesized_examples(meta, frames=201, count=2)
    np.testing.assert_array_equal(again[1]["f0_hz"], examples[1]["f0_hz"])


def test_eval_examples_of_a_prepared_dataset(prepared_dataset):
    examples, source = exporter.eval_examples(pathlib.Path(prepared_dataset), count=2)
    assert len(examples) == 2 and source == f"2 eval examples of {prepared_dataset}"
    assert examples[0]["audio"].shape == (32000,) and examples[0]["f0_hz"].shape == (101,)
    assert exporter.eval_examples(None) == ([], "")
