"""Our TFRecord writer and Example encoding, checked against TensorFlow's own reader."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.data import examples as ex_lib


def test_our_tfrecord_writer_has_valid_checksums(tmp_path):
    path = str(tmp_path / "x.tfrecord")
    with ex_lib.TFRecordWriter(path) as w:
        w.write(ex_lib.encode_example({"audio": np.arange(4)}))
        w.write(ex_lib.encode_example({"audio": np.arange(3)}))
    records = [tf.train.Example.FromString(r.numpy()) for r in tf.data.TFRecordDataset(path)]
    assert [list(r.features.feature["audio"].float_list.value) for r in records] == [[0, 1, 2, 3], [0, 1, 2]]
    data = open(path, "rb").read()
    with open(path, "wb") as f:  # one flipped bit in the last record's data: TensorFlow must notice
        f.write(data[:-6] + bytes([data[-6] ^ 1]) + data[-5:])
    with pytest.raises(tf.errors.DataLossError):
        list(tf.data.TFRecordDataset(path))


def test_count_records_matches_tensorflow_and_catches_truncation(tmp_path):
    import tensorflow as tf

    path = tmp_path / "x.tfrecord"
    with ex_lib.TFRecordWriter(str(path)) as w:
        for n in (0, 3, 1000):
            w.write(ex_lib.encode_example({"audio": np.ones(n)}))
    assert ex_lib.count_records(str(path)) == 3 == sum(1 for _ in tf.data.TFRecordDataset(str(path)))
    (tmp_path / "empty.tfrecord").write_bytes(b"")
    assert ex_lib.count_records(str(tmp_path / "empty.tfrecord")) == 0
    (tmp_path / "cut.tfrecord").write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match="truncated"):
        ex_lib.count_records(str(tmp_path / "cut.tfrecord"))


def test_a_file_that_is_not_a_tfrecord_is_refused_without_reading_its_claimed_length(tmp_path):
    junk = tmp_path / "junk.tfrecord"
    junk.write_bytes(b"not a tfrecord at all")  # its first 8 bytes claim a record of ~8e18 bytes
    with pytest.raises(ValueError, match="not a TFRecord"):
        list(ex_lib.read_tfrecord(str(junk)))
