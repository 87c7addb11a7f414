"""ddsp_format: magenta/ddsp's shard names, splits and grids inferred from the records themselves; training
on such a dataset and exporting the plugin model."""
import os
import pathlib

import numpy as np
import pytest

from ddsp_train.data import ddsp_format
from ddsp_train.data import examples as ex_lib
from ddsp_train.data.reader import read_dataset
from ddsp_train.errors import UserError
from tests.ddsp_support import ddsp_examples, write_ddsp_dataset, write_shards


@pytest.mark.parametrize("name, split", [
    ("train.tfrecord-00003-of-00010", "train"),
    ("train.tfrecord-train-00000-of-00004", "train"),
    ("train.tfrecord-eval-00000-of-00001", "eval"),
    ("data.tfrecord-eval-00002-of-00003", "eval"),
    ("violin-train-00000-of-00001", "train"),
    ("eval.tfrecord-00000-of-00001", "eval"),  # ddsp-prepare's own layout without its dataset.json
    ("notes.tfrecord", "train"),
    ("evaluation-ish.tfrecord-train-00000-of-00001", "train"),  # the infix wins over the stem
])
def test_shard_split(name, split):
    assert ddsp_format.shard_split(os.path.join("some", name)) == split
    assert ddsp_format.is_record_name(name)


def test_not_record_names():
    assert not ddsp_format.is_record_name("dataset_statistics.pkl")
    assert not ddsp_format.is_record_name("report.png")


def test_infers_ddsp_default_grid_and_eval_shards(tmp_path):
    written = write_ddsp_dataset(tmp_path / "ds", eval_split=True)  # 16 kHz, 250 Hz, uncentred, 4 s
    notes = []
    info = ddsp_format.infer_info(str(tmp_path / "ds"), say=notes.append)
    assert (info.sample_rate, info.frame_rate, info.example_secs, info.frames) == (16000, 250, 4.0, "uncentred")
    assert info.source == "ddsp" and info.data_dir == str(tmp_path / "ds")
    assert info.examples("train") == len(written["train"]) == 7 and info.examples("eval") == len(written["eval"]) == 2
    assert info.example_frames == 1001  # what the reader yields: 1000 frames + 1
    assert notes == []  # audio_16k gives the rate; eval shards exist: nothing to say
    line = ddsp_format.describe(info)
    assert "16000 Hz, 250 frames/s (uncentred, 1000 per example), 4 s examples; 7 train and 2 eval" in line
    # A file pattern selecting the same shards, as --data 'DIR/train.tfrecord*' or ddsp's file_pattern.
    same = ddsp_format.infer_info(str(tmp_path / "ds" / "train.tfrecord*"))
    assert same.examples("train") == 7 and same.examples("eval") == 2
    # The dict round-trips through dataset.json (a model folder's copy).
    again = type(info).from_dict(info.to_dict())
    assert (again.source, again.frames, again.example_frames) == ("ddsp", "uncentred", 1001)


def test_infers_centred_frames_other_rates_and_holds_out(tmp_path):
    write_ddsp_dataset(tmp_path / "c", stem="data.tfrecord", seconds=6.0, sample_rate=32000, frame_rate=50,
                       example_secs=2.0, center=True, shards=1)
    notes = []
    info = ddsp_format.infer_info(str(tmp_path / "c"), say=notes.append)
    assert (info.sample_rate, info.frame_rate, info.example_secs, info.frames) == (32000, 50, 2.0, "centred")
    assert info.example_frames == 101
    # 5 examples and no eval shard: the last round(5 * 0.1) -> 1 is held out, and said.
    assert (info.examples("train"), info.examples("eval"), info.splits["eval"]["held_out"]) == (4, 1, 1)
    assert len(notes) == 1 and "holding out its last 1 train examples" in notes[0]
    assert ddsp_format.plugin_rate_note(info) is not None


def test_without_audio_16k_assumes_16k_and_says_so(tmp_path):
    write_shards(ddsp_examples(seconds=4.0, seed=3, frame_rate=50, audio_16k=False), str(tmp_path / "train.tfrecord"),
                 shards=1)
    notes = []
    info = ddsp_format.infer_info(str(tmp_path), say=notes.append)
    assert (info.sample_rate, info.frame_rate, info.frames) == (16000, 50, "uncentred")
    assert any("no audio_16k" in n for n in notes)
    assert info.examples("eval") == 0  # a single example cannot be split
    assert ddsp_format.plugin_rate_note(info) is None
    # An explicit rate wins (8 kHz audio of 64000 samples = 8 s, 160-sample hop: 50 frames/s).
    assert ddsp_format.infer_info(str(tmp_path), sample_rate=8000).example_secs == 8.0


def test_held_out_rule():
    assert [ddsp_format.held_out(n) for n in (0, 1, 2, 5, 14, 15, 100, 10 ** 5)] == [0, 0, 1, 1, 1, 2, 10, 200]


def test_grid_errors_and_missing_data(tmp_path):
    assert ddsp_format.infer_grid(n_samples=64000, n_frames=1000, sample_rate=16000) == (64, "uncentred")
    assert ddsp_format.infer_grid(n_samples=64000, n_frames=1001, sample_rate=16000) == (64, "centred")
    assert ddsp_format.infer_grid(n_samples=64000, n_frames=201, sample_rate=16000) == (320, "centred")
    with pytest.raises(UserError, match="64000 samples and 333 frames fit no frame grid"):
        ddsp_format.infer_grid(n_samples=64000, n_frames=333, sample_rate=16000)
    with pytest.raises(UserError, match="no dataset.json and no TFRecord files"):
        ddsp_format.infer_info(str(tmp_path))
    with pytest.raises(UserError, match="matches no file"):
        ddsp_format.infer_info(str(tmp_path / "train.tfrecord*"))
    write_shards(ddsp_examples(seconds=4.0, seed=3, frame_rate=50), str(tmp_path / "x.tfrecord-eval"), shards=1)
    with pytest.raises(UserError, match="has only eval shards"):
        ddsp_format.infer_info(str(tmp_path))


def test_missing_feature_names_what_records_have(tmp_path):
    path = tmp_path / "train.tfrecord"
    with ex_lib.TFRecordWriter(str(path)) as w:
        w.write(ex_lib.encode_example({"audio": np.zeros(16000), "pitch": 60.0}))
    with pytest.raises(UserError, match="lack 'f0_hz'.*they have: audio, pitch"):
        ddsp_format.infer_info(str(path))


def test_our_records_parse_under_ddsps_feature_spec(prepared_dataset):
    """magenta/ddsp's TFRecordProvider.features_dict (ddsp/training/data.py), with centered=True
    (frames + 1, as ours): n_samples = sample_rate * example_secs, n_frames = frame_rate * example_secs."""
    import tensorflow as tf

    from ddsp_train.dataset_info import DatasetInfo

    info = DatasetInfo.read(prepared_dataset)
    example_secs, sample_rate, frame_rate = info.example_secs, info.sample_rate, info.frame_rate
    n_samples, n_frames = int(sample_rate * example_secs), int(frame_rate * example_secs) + 1
    features_dict = {
        "audio": tf.io.FixedLenFeature([n_samples], dtype=tf.float32),
        "audio_16k": tf.io.FixedLenFeature([int(16000 * example_secs)], dtype=tf.float32),
        "f0_hz": tf.io.FixedLenFeature([n_frames], dtype=tf.float32),
        "f0_confidence": tf.io.FixedLenFeature([n_frames], dtype=tf.float32),
        "loudness_db": tf.io.FixedLenFeature([n_frames], dtype=tf.float32),
    }
    files = tf.io.gfile.glob(os.path.join(prepared_dataset, "train.tfrecord*"))  # ddsp's file_pattern
    parsed = [tf.io.parse_single_example(r, features_dict) for r in tf.data.TFRecordDataset(files)]
    assert len(parsed) == info.examples("train")
    # At 16 kHz audio_16k is the audio itself; the features are the ones our reader gives.
    ours = next(iter(read_dataset(prepared_dataset)))
    np.testing.assert_allclose(parsed[0]["audio_16k"].numpy(), parsed[0]["audio"].numpy(), atol=1e-6)
    np.testing.assert_array_equal(parsed[0]["f0_hz"].numpy(), ours["f0_hz"].numpy())
    # ... and ddsp's inference reads our folder back the same (centred, 50 Hz, the rate from audio_16k).
    again = ddsp_format.infer_info(os.path.join(prepared_dataset, "*.tfrecord-*"))
    assert (again.sample_rate, again.frame_rate, again.frames, again.example_secs) == (16000, 50, "centred", 2.0)
    assert (again.examples("train"), again.examples("eval")) == (info.examples("train"), info.examples("eval"))


def test_audio_16k_is_resampled_from_other_rates():
    t = np.arange(32000) / 32000
    record = ex_lib.encode_example({"audio": np.sin(2 * np.pi * 440 * t), "f0_hz": np.full(101, 440.0)})
    out = ex_lib.decode_example(ddsp_format.with_audio_16k(record, sample_rate=32000))
    assert len(out["audio_16k"]) == 16000
    np.testing.assert_allclose(out["audio_16k"][100:-100], np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)[100:-100],
                               atol=1e-3)
    np.testing.assert_array_equal(out["f0_hz"], 440.0)


def test_train_on_a_ddsp_dataset_and_export_a_plugin_model(tmp_path, capsys):
    """ddsp_prepare_tfrecord --frame_rate=50 (center=False: 200 frames per 4 s) with an eval split:
    ddsp-train --data takes the folder, says what it inferred, keeps the statistics beside the model
    (never in the dataset folder), and ddsp-export writes a plugin model that passes the checker."""
    from export_support import run, run_in_process

    from ddsp_train import train as train_cli
    from ddsp_train.dataset_info import DatasetInfo

    data = tmp_path / "ddsp_data"
    write_ddsp_dataset(data, eval_split=True, frame_rate=50)
    before = sorted(p.name for p in data.iterdir())
    model_dir = tmp_path / "model"
    args = ["--data", str(data), "--model-dir", str(model_dir), "--config", "vst", "--steps", "2",
            "--batch-size", "2", "--save-every", "2", "--eval-every", "1000", "--seed", "0"]
    code, _, err = run_in_process(train_cli.command, *args)
    assert code == 0, err
    assert "Inferred from the records of" in err and "16000 Hz, 50 frames/s (uncentred, 200 per example)" in err
    assert "7 train and 2 eval examples" in err and "Computing the per-note statistics" in err
    assert sorted(p.name for p in data.iterdir()) == before  # nothing written into the user's dataset
    info = DatasetInfo.read(model_dir)
    assert info.source == "ddsp" and info.frames == "uncentred" and info.statistics["notes"] > 0
    low, high = info.statistics["mean_min_pitch_note"], info.statistics["mean_max_pitch_note"]
    assert 54.5 <= low < high <= 79.5  # the melody's notes: MIDI 55..79
    # Resuming reuses the stored statistics.
    code, _, err = run_in_process(train_cli.command, *args[:-6], "--steps", "3", "--batch-size", "2",
                                  "--save-every", "3", "--eval-every", "1000")
    assert code == 0 and "Computing the per-note statistics" not in err, err
    repo = pathlib.Path(__file__).resolve().parents[1]
    if not (repo / "ddsp_train" / "exporting" / "plugin_check.py").exists():
        print("skipped: this tree's ddsp-export predates the export stage (exporting/plugin_check.py), which reads "
              "the model folder's DatasetInfo")
        pytest.skip("the export stage (ddsp_train/exporting/plugin_check.py) is not in this tree yet")
    export = run("ddsp-export", str(model_dir), "--output", str(tmp_path / "export"), "--name", "ddspdata")
    tflite = tmp_path / "export" / "ddspdata.tflite"
    assert tflite.is_file(), export.stdout + export.stderr
    from export_support import assert_meets_plugin_contract  # the export stage's checker (and the referee)

    assert_meets_plugin_contract(tflite)


def test_ddsps_default_250_hz_frames_train_at_their_own_rate(tmp_path):
    """1000 uncentred frames per 4 s (ddsp_prepare_tfrecord's defaults) train at 250 frames/s."""
    from ddsp_train.dataset_info import DatasetInfo
    from ddsp_train.training.trainer import train

    data = tmp_path / "d250"
    write_ddsp_dataset(data, seconds=6.0, shards=1)
    notes = []
    train(data_dir=str(data / "train.tfrecord*"), model_dir=tmp_path / "m", configs=["tiny"], steps=1, batch_size=1,
          save_every=1, eval_every=1000, seed=0, say=notes.append)
    assert any("250 frames/s (uncentred, 1000 per example)" in n for n in notes), notes
    assert any("not the plugin's" in n for n in notes)
    info = DatasetInfo.read(tmp_path / "m")
    assert info.frame_rate == 250 and info.example_frames == 1001 and info.statistics


def test_ddsp_data_refusals_come_before_tensorflow(tmp_path):
    """ddsp-train --data with records that fit no grid, or only eval shards: one line, no TensorFlow."""
    from test_training_request import refused_fast

    bad = tmp_path / "bad"
    bad.mkdir()
    with ex_lib.TFRecordWriter(str(bad / "train.tfrecord-00000-of-00001")) as w:
        w.write(ex_lib.encode_example({"audio": np.zeros(64000), "f0_hz": np.zeros(333), "f0_confidence": np.zeros(333),
                                       "loudness_db": np.zeros(333)}))
    model = ["--model-dir", tmp_path / "model"]
    refused_fast("--data", bad, *model, expect="64000 samples and 333 frames fit no frame grid at 16000 Hz")
    refused_fast("--data", bad / "eval.tfrecord*", *model, expect="matches no file")
    evals = tmp_path / "evals"
    evals.mkdir()
    write_shards(ddsp_examples(seconds=4.0, seed=3, frame_rate=50), str(evals / "x.tfrecord-eval"), shards=1)
    refused_fast("--data", evals, *model, expect="has only eval shards")
    assert not (tmp_path / "model").exists()
