"""INPUT expansion (missing paths, patterns, MIDI) and the per-file checks on a corpus of bad input.

The README's ddsp-prepare tables promise a reason for every unusable file; each file here gets
its documented reason or is used, and nothing raises. (Empty, undecodable, truncated, NaN,
silent and too-short files also run end to end in tests/test_prepare.py.)
"""
import os

import numpy as np
import pytest
import soundfile as sf

from ddsp_train import synthetic
from ddsp_train.data import inputs
from ddsp_train.errors import UserError
from prepare_support import MIDI_BYTES

SR = 16000


def check(path, example_secs=2.0, sample_rate=SR):
    return inputs.check_file(str(path), sample_rate=sample_rate, example_samples=int(example_secs * sample_rate),
                             example_secs=example_secs)


def tone(secs, rate, *, channels=1, amplitude=0.5):
    t = np.arange(int(secs * rate)) / rate
    x = (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return np.stack([x * (0.5 + 0.1 * c) for c in range(channels)], axis=1) if channels > 1 else x


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """name -> (path, expected reason fragment or None for used)."""
    root = tmp_path_factory.mktemp("corpus")
    files = {}

    def add(name, reason, write):
        path = root / name
        write(path)
        files[name] = (path, reason)

    add("empty.wav", "empty file (0 bytes)", lambda p: p.write_bytes(b""))
    add("text.flac", "not decodable as audio", lambda p: p.write_bytes(b"hello, not audio\n" * 50))
    add("random.ogg", "not decodable as audio",
        lambda p: p.write_bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes()))

    def truncated(p):
        sf.write(p, tone(3, SR), SR, subtype="PCM_16")
        data = p.read_bytes()
        p.write_bytes(data[:len(data) // 3])
    add("truncated.wav", "truncated file", truncated)

    def nan(p):
        x = tone(3, SR)
        x[100] = np.nan
        sf.write(p, x, SR, subtype="FLOAT")
    add("nan.wav", "contains NaN or infinite samples", nan)

    def inf(p):
        x = tone(3, SR)
        x[-1] = np.inf
        sf.write(p, x, SR, subtype="FLOAT")
    add("inf.wav", "contains NaN or infinite samples", inf)
    add("digital_silence.wav", "silent (loudest 64 ms block",
        lambda p: sf.write(p, np.zeros(3 * SR, np.float32), SR, subtype="PCM_16"))
    add("too_short.wav", "too short (1.50 s < --example-secs 2)", lambda p: sf.write(p, tone(1.5, SR), SR))
    add("one_sample.wav", "too short (0.00 s", lambda p: sf.write(p, np.array([0.5], np.float32), SR))
    add("one_sample_48k.wav", "too short", lambda p: sf.write(p, np.array([0.5], np.float32), 48000))
    add("midi_named_wav.wav", "a MIDI file, not a recording", lambda p: p.write_bytes(MIDI_BYTES))
    # Usable, however odd:
    add("dc.wav", None, lambda p: sf.write(p, np.full(3 * SR, 0.5, np.float32), SR, subtype="PCM_16"))
    add("square_clipping.wav", None,
        lambda p: sf.write(p, np.sign(tone(3, SR)).astype(np.float32), SR, subtype="PCM_16"))
    add("mono.wav", None, lambda p: sf.write(p, tone(3, SR), SR))
    add("stereo.flac", None, lambda p: sf.write(p, tone(3, 44100, channels=2), 44100, subtype="PCM_24"))
    add("surround_5_1.wav", None, lambda p: sf.write(p, tone(3, 48000, channels=6), 48000, subtype="PCM_16"))
    add("rate_8k.wav", None, lambda p: sf.write(p, tone(3, 8000), 8000, subtype="PCM_16"))
    add("rate_192k.wav", None, lambda p: sf.write(p, tone(3, 192000), 192000, subtype="PCM_24"))
    return files


def test_every_file_gets_its_documented_reason_or_is_used(corpus):
    for name, (path, reason) in corpus.items():
        info, digest, got = check(path)
        if reason is None:
            assert got is None and len(digest) == 64 and info.seconds == pytest.approx(3.0), (name, got)
        else:
            assert got is not None and reason in got and digest is None, (name, got)
    _, _, got = check(corpus["digital_silence.wav"][0])
    assert "< -70" in got


def test_channels_and_rates_are_probed(corpus):
    assert check(corpus["surround_5_1.wav"][0])[0].channels == 6
    assert check(corpus["rate_192k.wav"][0])[0].sample_rate == 192000
    assert check(corpus["rate_8k.wav"][0])[0].sample_rate == 8000


def test_a_missing_input_is_said_to_not_exist(tmp_path):
    with pytest.raises(UserError) as e:
        inputs.expand_inputs([str(tmp_path / "nope.wav")])
    assert e.value.exit_code == 2 and "does not exist" in e.value.message
    assert "no audio files match" not in e.value.message
    with pytest.raises(UserError, match="no audio files match"):  # a pattern that matches nothing
        inputs.expand_inputs([str(tmp_path / "*.wav")])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UserError, match="no audio files match"):  # a folder without audio
        inputs.expand_inputs([str(tmp_path)])


@pytest.mark.parametrize("name, data", [("song.mid", MIDI_BYTES), ("song.midi", MIDI_BYTES),
                                        ("no_extension", MIDI_BYTES)])
def test_a_midi_input_is_said_to_be_midi(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UserError) as e:
        inputs.expand_inputs([str(path)])
    assert e.value.exit_code == 2 and "is a MIDI file, not a recording" in e.value.message
    assert "Render the MIDI to audio first" in e.value.message and "\n" not in e.value.message


def test_a_pattern_or_folder_of_midi_files_is_said_to_be_midi(tmp_path):
    (tmp_path / "a.mid").write_bytes(MIDI_BYTES)
    with pytest.raises(UserError, match="is a MIDI file"):
        inputs.expand_inputs([str(tmp_path / "*.mid")])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.midi").write_bytes(MIDI_BYTES)
    with pytest.raises(UserError, match=r"a.mid is a MIDI file.*\(and 1 more MIDI files\)$"):
        inputs.expand_inputs([str(tmp_path)])
    sf.write(tmp_path / "take.wav", tone(0.1, SR), SR)  # with recordings beside them, MIDI is not listed
    assert [source for _, source in inputs.expand_inputs([str(tmp_path)])] == ["take.wav"]


def test_expansion_lists_each_file_once_with_its_source(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a.wav", "sub/b.flac"):
        sf.write(tmp_path / name, tone(0.1, SR), SR)
    (tmp_path / "c.txt").write_text("not audio")
    found = inputs.expand_inputs([str(tmp_path), str(tmp_path / "a.wav"), str(tmp_path / "**" / "*.flac")])
    assert [source for _, source in found] == ["a.wav", os.path.join("sub", "b.flac")]


def test_input_roots_use_the_folder_part_of_patterns(tmp_path):
    sf.write(tmp_path / "a.wav", tone(0.1, SR), SR)
    assert inputs.input_roots([str(tmp_path / "a.wav"), "takes/*/x*.wav", "*.wav", "missing/take.wav"]) == [
        str(tmp_path / "a.wav"), "takes", ".", "missing/take.wav"]
    assert inputs.glob_base("a/b/**/c.wav") == "a/b"


def test_synthetic_phrase_is_used(tmp_path):
    path = tmp_path / "phrase.wav"
    sf.write(path, synthetic.demo_phrase(seconds=3, seed=4).audio, SR, subtype="FLOAT")
    assert check(path)[2] is None


def test_the_whole_corpus_through_ddsp_prepare(corpus, tmp_path):
    """End to end: every file listed in dataset.json with the same verdict, the usable odd ones
    (DC, clipped square, 5.1, 8 kHz, 192 kHz, ...) turned into examples."""
    from ddsp_train.data.pipeline import prepare_dataset
    from ddsp_train.dataset_info import DatasetInfo

    folder = next(iter(corpus.values()))[0].parent
    said = []
    prepare_dataset([str(folder)], output=str(tmp_path / "ds"), example_secs=2.0, f0_method="yin", workers=1,
                    say=said.append)
    info = DatasetInfo.read(tmp_path / "ds")
    by_name = {os.path.basename(f["path"]): f for f in info.files}
    assert set(by_name) == set(corpus)
    for name, (_, reason) in corpus.items():
        record = by_name[name]
        if reason is None:
            assert record["status"] == "used" and record["reason"] is None, record
        else:
            assert record["status"] == "skipped" and reason in record["reason"], record
    used = sum(1 for _, reason in corpus.values() if reason is None)
    assert info.files_used == used and info.examples("train") + info.examples("eval") == 2 * used  # 3 s: 2 each
    assert any(line.startswith("  skipped: ") and "one_sample.wav: too short" in line for line in said[-1].split("\n"))


def test_identical_copies_count_once(tmp_path):
    from ddsp_train.data.pipeline import prepare_dataset

    folder = tmp_path / "takes"
    folder.mkdir()
    sf.write(folder / "take.wav", synthetic.demo_phrase(seconds=5, seed=4).audio, SR)
    (folder / "take copy.wav").write_bytes((folder / "take.wav").read_bytes())
    info = prepare_dataset([str(folder)], output=str(tmp_path / "ds"), example_secs=2.0, f0_method="yin",
                           workers=1, progress=False)
    by_name = {os.path.basename(f["path"]): f for f in info["files"]}
    assert by_name["take copy.wav"]["status"] == "used"  # sorted first
    assert by_name["take.wav"]["reason"] == f"duplicate content of {folder / 'take copy.wav'}"
