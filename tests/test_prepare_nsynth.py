"""ddsp-prepare on NSynth TFRecords: selected notes -> a dataset, f0 from the pitch labels."""
import json
import shutil

import numpy as np
import pytest

from ddsp_train.data import examples as ex_lib
from ddsp_train.data.reader import read_dataset
from ddsp_train.dataset_info import DatasetInfo
from tests.ddsp_support import write_nsynth
from tests.prepare_support import run_cli


@pytest.fixture(scope="module")
def nsynth_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("nsynth_in") / "nsynth-valid.tfrecord"
    write_nsynth(path)
    return path


@pytest.fixture(scope="module")
def strings(nsynth_file, tmp_path_factory):
    """The acoustic string notes of MIDI 50-85 (4 of the file's 8), prepared through the CLI."""
    out = tmp_path_factory.mktemp("nsynth_out") / "strings"
    code = run_cli([nsynth_file, "--output", out, "--family", "string", "--source", "acoustic", "--pitch", "50-85",
                    "--f0-method", "yin", "--eval-fraction", "0.25", "--quiet"])
    assert code == 0
    return out


def test_selected_notes_become_examples_with_label_f0(strings):
    info = DatasetInfo.read(strings)
    assert info.source == "nsynth" and info.extra["nsynth"]["notes"] == 4
    assert (info.examples("train"), info.examples("eval")) == (3, 1)  # one 4 s example per note
    examples = list(ex_lib.iter_examples(str(strings), "train")) + list(ex_lib.iter_examples(str(strings), "eval"))
    by_note = {e["source"].decode().split("#")[1]: e for e in examples}
    assert set(by_note) == {"string_acoustic_012-055-100", "string_acoustic_012-067-075",
                            "string_acoustic_012-079-127", "string_acoustic_013-060-100"}
    for name, e in by_note.items():
        pitch = int(name.split("-")[1])
        assert len(e["audio"]) == 64000 and len(e["f0_hz"]) == 201
        np.testing.assert_array_equal(e["f0_hz"], np.float32(440.0 * 2 ** ((pitch - 69) / 12)))
        assert e["f0_confidence"][10:140].mean() > 0.8 and e["f0_confidence"][170:].mean() < 0.3
        np.testing.assert_array_equal(e["audio_16k"], e["audio"])  # readable by ddsp's own trainer too
    # The statistics' pitch range comes from the labels (pitches 55..79, median per note).
    stats = info.statistics
    assert stats["notes"] == 4
    assert 55 - 0.5 <= stats["mean_min_pitch_note"] <= stats["mean_max_pitch_note"] <= 79 + 0.5
    # Our reader reads it as any dataset.
    assert next(iter(read_dataset(str(strings))))["power_db"].shape == (201,)
    assert (strings / "report.png").is_file()


def test_other_rates_and_windows(nsynth_file, tmp_path):
    out = tmp_path / "k"
    assert run_cli([nsynth_file, "--output", out, "--family", "keyboard", "--sample-rate", "22050",
                    "--frame-rate", "50", "--example-secs", "2", "--hop-secs", "1", "--eval-fraction", "0",
                    "--f0-method", "yin", "-q"]) == 0
    info = DatasetInfo.read(out)
    assert info.sample_rate == 22050 and info.examples("train") == 2 * 3  # 2 notes x windows at 0, 1, 2 s
    e = next(ex_lib.iter_examples(str(out), "train"))
    assert len(e["audio"]) == 44100 and len(e["audio_16k"]) == 32000 and len(e["f0_hz"]) == 101


def test_refusals(nsynth_file, tmp_path, prepared_audio_dir, capsys):
    code = run_cli([nsynth_file, "--output", tmp_path / "a", "--family", "violin"])
    assert code != 0 and "--family 'violin' is not an NSynth family" in capsys.readouterr().err
    code = run_cli([nsynth_file, "--output", tmp_path / "b", "--instrument", "nope_000"])
    assert code != 0 and "no NSynth note of" in capsys.readouterr().err and not (tmp_path / "b").exists()
    code = run_cli([prepared_audio_dir, "--output", tmp_path / "c", "--family", "string"])
    assert code == 2 and "select NSynth notes, but no INPUT is an NSynth TFRecord" in capsys.readouterr().err
    code = run_cli([nsynth_file, prepared_audio_dir, "--output", tmp_path / "d"])
    assert code == 2 and "prepare NSynth notes and recordings in separate runs" in capsys.readouterr().err
    code = run_cli([nsynth_file, "--output", tmp_path / "e", "--example-secs", "5"])
    assert code != 0 and "longer than NSynth's 4 s notes" in capsys.readouterr().err
    assert not any(p.name.startswith(".ddsp-prepare-staging") for p in tmp_path.iterdir())


def test_a_ddsp_dataset_as_input_points_to_ddsp_train(tmp_path, capsys):
    from tests.ddsp_support import write_ddsp_dataset

    write_ddsp_dataset(tmp_path / "ds", seconds=4.0, shards=1)
    code = run_cli([tmp_path / "ds" / "train.tfrecord-00000-of-00001", "--output", tmp_path / "out"])
    err = capsys.readouterr().err
    assert code == 2 and "ddsp-train --data" in err, err
    code = run_cli([tmp_path / "ds", "--output", tmp_path / "out"])  # the folder of shards
    err = capsys.readouterr().err
    assert code == 2 and f"give it to ddsp-train --data {tmp_path / 'ds'} directly" in err, err
