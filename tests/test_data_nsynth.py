"""nsynth: reading NSynth-format records, the note filter, f0 from the pitch label."""
import numpy as np
import pytest

from ddsp_train.data import examples as ex_lib
from ddsp_train.data import nsynth
from ddsp_train.errors import UserError
from ddsp_train.pitch import get_tracker
from tests.ddsp_support import NSYNTH_NOTES, nsynth_note, write_nsynth


@pytest.fixture(scope="module")
def nsynth_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("nsynth") / "nsynth-test.tfrecord"
    write_nsynth(path)
    return path


def test_reads_labels_of_nsynth_records(nsynth_file):
    assert nsynth.is_nsynth_file(str(nsynth_file))
    metas = [m for _, _, m in nsynth.select_notes([str(nsynth_file)], nsynth.NoteFilter())]
    assert [(m["instrument_str"], m["pitch"], m["velocity"]) for m in metas] == \
        [(n[0], n[3], n[4]) for n in NSYNTH_NOTES]
    assert [m["family"] for m in metas[:6]] == ["string"] * 5 + ["keyboard"]
    assert metas[-1]["source"] == "synthetic" and metas[0]["note_str"] == "string_acoustic_012-055-100"


@pytest.mark.parametrize("kwargs, pitches", [
    ({}, [55, 67, 79, 91, 60, 60, 72, 72]),
    ({"family": ["string"]}, [55, 67, 79, 91, 60]),
    ({"family": ["string,flute"], "pitch": "60-80"}, [67, 79, 60, 72]),
    ({"source": ["electronic"]}, [60, 72]),
    ({"instrument": ["string_acoustic_013"]}, [60]),
    ({"family": ["String"], "source": ["acoustic"], "pitch": "91"}, [91]),
])
def test_filter(nsynth_file, kwargs, pitches):
    flt = nsynth.note_filter(**kwargs)
    assert flt.active == bool(kwargs)
    assert [m["pitch"] for _, _, m in nsynth.select_notes([str(nsynth_file)], flt)] == pitches


def test_filter_errors_name_the_choices():
    with pytest.raises(UserError, match="--family 'violin' is not an NSynth family; choose from bass, brass"):
        nsynth.note_filter(family=["violin"])
    with pytest.raises(UserError, match="--source 'analog' is not an NSynth source"):
        nsynth.note_filter(source=["analog"])
    for bad in ("72-60", "a-b", "0-128", "60-"):
        with pytest.raises(UserError, match="--pitch .* must be a MIDI range LOW-HIGH"):
            nsynth.parse_pitch_range(bad)
    assert nsynth.parse_pitch_range(" 48 - 72 ") == (48, 72)


def test_not_nsynth(tmp_path):
    path = tmp_path / "train.tfrecord-00000-of-00001"
    with ex_lib.TFRecordWriter(str(path)) as w:
        w.write(ex_lib.encode_example({"audio": np.zeros(10), "f0_hz": np.zeros(2)}))
    assert not nsynth.is_nsynth_file(str(path))
    (tmp_path / "junk.tfrecord").write_bytes(b"not a tfrecord at all")
    assert not nsynth.is_nsynth_file(str(tmp_path / "junk.tfrecord"))
    assert nsynth.nsynth_inputs([str(tmp_path)]) == []


def test_f0_is_the_label_and_confidence_the_trackers():
    audio = nsynth_note(69, held_secs=3.0)
    feats = nsynth.note_features(audio, pitch=69, sample_rate=16000, frame_rate=50, tracker=get_tracker("yin"))
    assert len(feats["f0_hz"]) == 201 == len(feats["f0_confidence"]) == len(feats["power_db"])
    np.testing.assert_array_equal(feats["f0_hz"], np.float32(440.0))  # exact: the label, not a tracker's estimate
    np.testing.assert_allclose(nsynth.label_f0(60, 1), 261.6256, atol=1e-3)
    conf = feats["f0_confidence"]
    assert conf[10:140].mean() > 0.8  # held: voiced
    assert conf[170:].mean() < 0.3  # the silent tail after release: unvoiced, from the tracker
