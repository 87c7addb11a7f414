"""tf.train.Example encoding and decoding without TensorFlow, and plain TFRecord file reading.

The Beam workers and the driver write and read examples with these few lines of protobuf wire
format, so they never import TensorFlow (seconds of start-up per worker). The bytes are those of
``tf.train.Example`` (tests check them against TensorFlow's own parser):

``Example{1: Features{1: map<string, Feature>}}``, ``Feature{1: BytesList, 2: FloatList,
3: Int64List}``, ``FloatList{1: packed float32}``, ``BytesList{1: repeated bytes}``.
TFRecord framing: ``uint64 length, uint32 masked crc, data, uint32 masked crc`` per record.
"""
from __future__ import annotations

import glob
import os
import struct
from typing import Iterator, Mapping

import numpy as np

from ddsp_train import dataset_info

#: Float features of every example, in the dataset's TFRecords (:data:`ddsp_train.dataset_info.FEATURE_KEYS`).
FLOAT_FEATURES = dataset_info.FEATURE_KEYS
#: Frame-wise float features.
FRAME_FEATURES = dataset_info.FRAME_KEYS


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _len_field(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _feature(value) -> bytes:
    if isinstance(value, (bytes, str)):
        raw = value.encode() if isinstance(value, str) else value
        return _len_field(1, _len_field(1, raw))
    floats = np.asarray(value, "<f4").reshape(-1)
    return _len_field(2, _len_field(1, floats.tobytes()))


def encode_example(features: Mapping[str, object]) -> bytes:
    """Serialized ``tf.train.Example``: str/bytes values become a BytesList, anything numeric a
    FloatList (scalars included). Keys are written sorted, so equal inputs give equal bytes."""
    entries = b"".join(
        _len_field(1, _len_field(1, key.encode()) + _len_field(2, _feature(features[key])))
        for key in sorted(features))
    return _len_field(1, entries)


def _fields(buf: bytes) -> Iterator[tuple[int, int, object]]:
    """(field number, wire type, value) of a protobuf message; LEN values as memoryview slices."""
    i, n = 0, len(buf)
    view = memoryview(buf)
    while i < n:
        key, i = _read_varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 2:
            length, i = _read_varint(buf, i)
            yield field, wire, view[i:i + length]
            i += length
        elif wire == 0:
            value, i = _read_varint(buf, i)
            yield field, wire, value
        elif wire == 5:
            yield field, wire, view[i:i + 4]
            i += 4
        elif wire == 1:
            yield field, wire, view[i:i + 8]
            i += 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _read_varint(buf, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7


def decode_example(data: bytes) -> dict:
    """Inverse of :func:`encode_example`: float lists as float32 arrays, byte lists as bytes
    (a list when there are several), int64 lists as int64 arrays."""
    out = {}
    for field, _, features in _fields(bytes(data)):
        if field != 1:
            continue
        for f2, _, entry in _fields(bytes(features)):
            if f2 != 1:
                continue
            key, value = None, None
            for f3, _, part in _fields(bytes(entry)):
                if f3 == 1:
                    key = bytes(part).decode()
                elif f3 == 2:
                    value = _decode_feature(bytes(part))
            out[key] = value
    return out


def _decode_feature(data: bytes):
    for kind, _, payload in _fields(data):
        values = [(f, w, v) for f, w, v in _fields(bytes(payload))]
        if kind == 1:
            items = [bytes(v) for _, _, v in values]
            return items[0] if len(items) == 1 else items
        if kind == 2:
            chunks = [np.frombuffer(bytes(v), "<f4") for _, w, v in values]
            return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
        if kind == 3:
            ints = []
            for _, w, v in values:
                if w == 2:
                    j, raw = 0, bytes(v)
                    while j < len(raw):
                        x, j = _read_varint(raw, j)
                        ints.append(x)
                else:
                    ints.append(v)
            return np.array([x - (1 << 64) if x >= 1 << 63 else x for x in ints], np.int64)
    return None


def read_tfrecord(path: str) -> Iterator[bytes]:
    """The records of one uncompressed TFRecord file (checksums are not verified); ValueError for a
    truncated file or one whose record lengths overrun it (not a TFRecord), before reading them."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        while True:
            head = f.read(12)
            if not head:
                return
            if len(head) < 12:
                raise ValueError(f"{path}: truncated TFRecord")
            (length,) = struct.unpack("<Q", head[:8])
            if f.tell() + length + 4 > size:
                raise ValueError(f"{path}: truncated TFRecord (or not a TFRecord file)")
            data = f.read(length)
            if len(data) < length or len(f.read(4)) < 4:
                raise ValueError(f"{path}: truncated TFRecord")
            yield data


def count_records(path: str) -> int:
    """The number of records in one TFRecord file, read by their length headers only."""
    n, size = 0, os.path.getsize(path)
    with open(path, "rb") as f:
        while f.tell() < size:
            head = f.read(12)
            if len(head) < 12:
                raise ValueError(f"{path}: truncated TFRecord")
            (length,) = struct.unpack("<Q", head[:8])
            if f.tell() + length + 4 > size:
                raise ValueError(f"{path}: truncated TFRecord")
            f.seek(length + 4, os.SEEK_CUR)
            n += 1
    return n


def _masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC-32C: ``((crc >> 15) | (crc << 17)) + 0xa282ead8`` (mod 2^32)."""
    crc = _crc32c()(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _crc32c():
    if not hasattr(_crc32c, "fn"):
        try:
            import google_crc32c

            _crc32c.fn = google_crc32c.value
        except ImportError:
            import crcmod.predefined  # a dependency of apache-beam

            _crc32c.fn = crcmod.predefined.mkPredefinedCrcFun("crc-32c")
    return _crc32c.fn


class TFRecordWriter:
    """Writes uncompressed TFRecord files (readable by ``tf.data.TFRecordDataset``)."""

    def __init__(self, path: str):
        self.file = open(path, "wb")

    def write(self, data: bytes) -> None:
        head = struct.pack("<Q", len(data))
        self.file.write(head + struct.pack("<I", _masked_crc32c(head)) + data
                        + struct.pack("<I", _masked_crc32c(data)))

    def close(self) -> None:
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def shard_paths(data_dir: str, prefix: str) -> list[str]:
    """Sorted ``DIR/PREFIX.tfrecord*`` files (the shards of one split)."""
    return sorted(p for p in glob.glob(os.path.join(glob.escape(data_dir), prefix + ".tfrecord*"))
                  if os.path.isfile(p))


def iter_examples(data_dir: str, prefix: str) -> Iterator[dict]:
    """Decoded examples of all shards ``DIR/PREFIX.tfrecord*``, shard by shard."""
    for path in shard_paths(data_dir, prefix):
        for record in read_tfrecord(path):
            yield decode_example(record)
