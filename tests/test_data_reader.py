"""read_dataset on a prepared folder, on ddsp and NSynth-layout records; DatasetInfo.read errors."""
import json

import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.data import examples as ex_lib
from ddsp_train.data.reader import load_dataset_info, read_dataset
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from tests.ddsp_support import write_ddsp_dataset


def test_reads_prepared_dataset_with_static_shapes(prepared_dataset):
    info = DatasetInfo.read(prepared_dataset)
    assert info.sample_rate == 16000 and info.example_secs == 2.0
    assert load_dataset_info(prepared_dataset) == info.to_dict()  # the alias ddsp-train still calls
    for split in ("train", "eval"):
        ds = read_dataset(prepared_dataset, split=split)
        spec = ds.element_spec
        assert spec["audio"].shape == (32000,)
        for name in ("f0_hz", "f0_confidence", "loudness_db", "power_db"):
            assert spec[name].shape == (101,) and spec[name].dtype == tf.float32
        count = sum(1 for _ in ds)
        assert count == info.examples(split)
    batch = next(iter(read_dataset(prepared_dataset).batch(3)))
    assert batch["audio"].shape == (3, 32000)
    # The stored power is the plugin formula applied to the stored audio (frames inside it).
    ex = next(iter(read_dataset(prepared_dataset)))
    audio = ex["audio"].numpy()
    k = 2 + int(np.argmax(ex["power_db"].numpy()[2:-2]))  # a loud frame whose window lies inside
    frame = audio[k * 320 - 512:k * 320 + 512].astype(np.float64)
    expected = max(10 * np.log10(np.mean(frame ** 2)), -80)
    assert expected > -60
    assert abs(ex["power_db"].numpy()[k] - expected) < 1e-3


def _nsynth_record(audio, f0, conf, loud):
    return tf.train.Example(features=tf.train.Features(feature={
        "audio": tf.train.Feature(float_list=tf.train.FloatList(value=audio)),
        "f0/hz": tf.train.Feature(float_list=tf.train.FloatList(value=f0)),
        "f0/confidence": tf.train.Feature(float_list=tf.train.FloatList(value=conf)),
        "loudness/db": tf.train.Feature(float_list=tf.train.FloatList(value=loud)),
        "pitch": tf.train.Feature(int64_list=tf.train.Int64List(value=[60])),
    })).SerializeToString()


def test_reads_nsynth_layout_by_mapping_keys(tmp_path):
    sr, n = 16000, 64000
    t = np.arange(n) / sr
    audio = (0.5 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    n_frames = 1000  # NSynth f0_and_loudness: 250 frames/s, uncentred
    f0 = np.full(n_frames, 500.0, np.float32)
    conf = np.linspace(0, 1, n_frames).astype(np.float32)
    loud = np.linspace(-60, -10, n_frames).astype(np.float32)
    with tf.io.TFRecordWriter(str(tmp_path / "train.tfrecord-00000-of-00001")) as w:
        for _ in range(2):
            w.write(_nsynth_record(audio, f0, conf, loud))
    ds = read_dataset(str(tmp_path), split="train")
    # Uncentred frames (n // hop) get one more, a copy of the last: the centred grid n // hop + 1.
    assert ds.element_spec["f0_hz"].shape == (n_frames + 1,)
    items = list(ds)
    assert len(items) == 1  # of 2 records without eval shards, the last is held out for eval
    assert len(list(read_dataset(str(tmp_path), split="eval"))) == 1
    ex = items[0]
    np.testing.assert_allclose(ex["f0_hz"].numpy(), np.append(f0, f0[-1]))
    np.testing.assert_allclose(ex["f0_confidence"].numpy(), np.append(conf, conf[-1]))
    np.testing.assert_allclose(ex["loudness_db"].numpy(), np.append(loud, loud[-1]))
    # power_db computed from the audio: a 0.5-amplitude sine reads 10 log10(0.125) = -9.03 dB.
    assert ex["power_db"].shape == (n_frames + 1,)
    np.testing.assert_allclose(ex["power_db"].numpy()[20:-20], 10 * np.log10(0.125), atol=0.05)
    # A glob pattern works too.
    assert sum(1 for _ in read_dataset(str(tmp_path / "*.tfrecord*"))) == 1


def _plugin_power(audio, k, hop):
    frame = audio[max(0, k * hop - 512):k * hop + 512].astype(np.float64)
    return max(10 * np.log10(np.mean(frame ** 2)), -80)


def test_reads_ddsp_dataset_with_eval_shards(tmp_path):
    written = write_ddsp_dataset(tmp_path, eval_split=True)  # ddsp's defaults: 16 kHz, 250 Hz uncentred, 4 s
    train = list(read_dataset(str(tmp_path), split="train"))
    evals = list(read_dataset(str(tmp_path), split="eval"))
    assert (len(train), len(evals)) == (7, 2)  # eval shards are not read as training data
    # Round-robin shards: shard 0 holds examples 0, 2, 4, 6; file order reads shard 0 first.
    first = written["train"][0]
    ex = train[0]
    assert set(ex) == {"audio", "f0_hz", "f0_confidence", "loudness_db", "power_db"}  # audio_16k ignored
    np.testing.assert_array_equal(ex["audio"].numpy(), first["audio"])
    assert ex["f0_hz"].shape == (1001,)
    np.testing.assert_array_equal(ex["f0_hz"].numpy()[:1000], first["f0_hz"])
    assert ex["f0_hz"].numpy()[1000] == first["f0_hz"][-1]
    np.testing.assert_array_equal(evals[0]["audio"].numpy(), written["eval"][0]["audio"])
    # power_db on the centred 64-sample grid, the plugin's 1024-sample frame.
    k = 500 + int(np.argmax(ex["power_db"].numpy()[500:900]))
    assert abs(ex["power_db"].numpy()[k] - _plugin_power(first["audio"], k, 64)) < 1e-3
    # The same through a pattern, as ddsp's TFRecordProvider.file_pattern gives it.
    assert sum(1 for _ in read_dataset(str(tmp_path / "train.tfrecord*"), split="eval")) == 2


def test_ddsp_dataset_without_eval_shards_holds_out_the_last(tmp_path):
    written = write_ddsp_dataset(tmp_path, seconds=17.0, frame_rate=50, center=True, shards=1)  # 14 examples
    train = list(read_dataset(str(tmp_path), split="train"))
    evals = list(read_dataset(str(tmp_path), split="eval"))
    assert (len(train), len(evals)) == (13, 1)
    assert train[0]["f0_hz"].shape == (201,)  # centred: kept as it is
    np.testing.assert_array_equal(evals[0]["audio"].numpy(), written["train"][-1]["audio"])
    np.testing.assert_array_equal(train[-1]["audio"].numpy(), written["train"][-2]["audio"])


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        DatasetInfo.read(tmp_path / "nope")
    with pytest.raises(UserError, match="no dataset.json"):
        DatasetInfo.read(tmp_path)
    with pytest.raises(UserError, match="no dataset.json and no TFRecord files"):
        read_dataset(str(tmp_path))
    with open(tmp_path / "train.tfrecord-00000-of-00001", "wb") as f:
        import struct
        data = ex_lib.encode_example({"audio": np.zeros(10), "loudness/db": np.zeros(3)})
        f.write(struct.pack("<Q", len(data)) + b"\0" * 4 + data + b"\0" * 4)
    with pytest.raises(UserError, match="lack 'f0_hz'"):
        read_dataset(str(tmp_path))
    with pytest.raises(UserError, match="split must be"):
        read_dataset(str(tmp_path), split="test")
    (tmp_path / "dataset.json").write_text(json.dumps({"version": 1, "sample_rate": 16000, "frame_rate": 50,
                                                       "example_secs": 4, "eval_fraction": 0,
                                                       "splits": {"eval": {"examples": 0}}}))
    with pytest.raises(UserError, match="eval split .* has no examples"):
        read_dataset(str(tmp_path), split="eval")
    (tmp_path / "dataset.json").write_text(json.dumps({"version": 1}))
    with pytest.raises(UserError, match="lacks sample_rate"):
        DatasetInfo.read(tmp_path)
