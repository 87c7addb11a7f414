"""Datasets in exactly magenta/ddsp's ``ddsp_prepare_tfrecord`` format, written by the tests
themselves with TensorFlow's own ``tf.train.Example`` (shard names, keys and lengths as ddsp's)."""
import os

import numpy as np

from ddsp_train import features, synthetic


def ddsp_examples(*, seconds, seed, sample_rate=16000, frame_rate=250, example_secs=4.0, hop_secs=1.0,
                  center=False, audio_16k=True):
    """ddsp's feature dicts of one synthesized phrase: windows of ``example_secs`` every ``hop_secs``
    with ``audio`` [n], ``f0_hz``, ``f0_confidence``, ``loudness_db`` [n // hop (+1 if center)] and
    ``audio_16k`` [16000 * example_secs]."""
    from ddsp_train import audio as audio_lib

    rng = np.random.default_rng(seed)
    notes = synthetic.random_melody(seconds=seconds, rng=rng)
    r = synthetic.render_melody(notes, seconds=seconds, sample_rate=sample_rate, frame_rate=frame_rate, seed=seed)
    hop = sample_rate // frame_rate
    n = int(example_secs * sample_rate)
    m = n // hop + (1 if center else 0)
    loud = features.compute_loudness_db(r.audio, sample_rate=sample_rate, frame_rate=frame_rate)
    out = []
    for start in range(0, len(r.audio) - n + 1, int(hop_secs * sample_rate)):
        k = start // hop
        ex = {"audio": r.audio[start:start + n], "f0_hz": r.f0_hz[k:k + m],
              "f0_confidence": (r.f0_hz[k:k + m] > 0).astype(np.float32), "loudness_db": loud[k:k + m]}
        if audio_16k:
            ex["audio_16k"] = audio_lib.resample(ex["audio"], rate_in=sample_rate, rate_out=16000)
        assert len(ex["f0_hz"]) == m
        out.append(ex)
    return out


def write_shards(examples, prefix, *, shards):
    """Write ``examples`` round-robin into Beam's ``{prefix}-0000i-of-0000N`` files; their paths."""
    import tensorflow as tf

    paths = [f"{prefix}-{i:05d}-of-{shards:05d}" for i in range(shards)]
    writers = [tf.io.TFRecordWriter(p) for p in paths]
    for i, ex in enumerate(examples):
        feature = {k: tf.train.Feature(float_list=tf.train.FloatList(value=np.asarray(v, np.float32)))
                   for k, v in ex.items()}
        writers[i % shards].write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    for w in writers:
        w.close()
    return paths


def write_ddsp_dataset(folder, *, stem="train.tfrecord", eval_split=False, seconds=10.0, shards=2, **grid):
    """A ddsp dataset in ``folder``: ``{stem}-0000i-of-0000N``, or with ``eval_split``
    ``{stem}-train-*`` (one phrase) and ``{stem}-eval-*`` (another). Returns ``{split: examples}``."""
    os.makedirs(folder, exist_ok=True)
    prefix = os.path.join(str(folder), stem)
    train = ddsp_examples(seconds=seconds, seed=21, **grid)
    if not eval_split:
        write_shards(train, prefix, shards=shards)
        return {"train": train, "eval": []}
    evals = ddsp_examples(seconds=max(grid.get("example_secs", 4.0), seconds / 2), seed=22, **grid)
    write_shards(train, prefix + "-train", shards=shards)
    write_shards(evals, prefix + "-eval", shards=1)
    return {"train": train, "eval": evals}


NSYNTH_NOTES = (  # (instrument_str, family, source, pitch, velocity)
    ("string_acoustic_012", 8, 0, 55, 100),
    ("string_acoustic_012", 8, 0, 67, 75),
    ("string_acoustic_012", 8, 0, 79, 127),
    ("string_acoustic_012", 8, 0, 91, 50),
    ("string_acoustic_013", 8, 0, 60, 100),
    ("keyboard_electronic_001", 4, 1, 60, 100),
    ("keyboard_electronic_001", 4, 1, 72, 100),
    ("flute_synthetic_000", 2, 2, 72, 100),
)


def nsynth_note(pitch, *, seed=0, held_secs=3.0):
    """A 4 s, 16 kHz note of MIDI ``pitch`` held ``held_secs`` then silent (NSynth's note shape)."""
    rng = np.random.default_rng(seed)
    note = synthetic.Note(start=0.0, duration=held_secs, midi=float(pitch), velocity=0.8)
    r = synthetic.render_melody([note], seconds=4.0, sample_rate=16000, seed=seed)
    audio = r.audio[:64000] + 1e-5 * rng.standard_normal(64000).astype(np.float32)
    return audio.astype(np.float32)


def write_nsynth(path, notes=NSYNTH_NOTES):
    """An NSynth-format TFRecord file (NSynth's keys and types) holding ``notes``; returns their note_str."""
    import tensorflow as tf

    def ints(*v):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=list(v)))

    def text(s):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[s.encode()]))

    names = []
    with tf.io.TFRecordWriter(str(path)) as w:
        for i, (instrument, family, source, pitch, velocity) in enumerate(notes):
            note_str = f"{instrument}-{pitch:03d}-{velocity:03d}"
            names.append(note_str)
            feature = {
                "audio": tf.train.Feature(float_list=tf.train.FloatList(value=nsynth_note(pitch, seed=i))),
                "note": ints(1000 + i), "note_str": text(note_str), "instrument": ints(family * 100 + i),
                "instrument_str": text(instrument), "pitch": ints(pitch), "velocity": ints(velocity),
                "sample_rate": ints(16000), "qualities": ints(*([0] * 10)), "instrument_family": ints(family),
                "instrument_family_str": text(["bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ",
                                               "reed", "string", "synth_lead", "vocal"][family]),
                "instrument_source": ints(source), "instrument_source_str": text(["acoustic", "electronic",
                                                                                  "synthetic"][source]),
            }
            w.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    return names
