"""Property-based: whatever the options and paths, ddsp-prepare exits 0, 1 or 2 with one
``Error:`` line or a dataset, never a traceback, and never changes an input (hashes before and
after). Refusals run in-process; the few runs that get through are tiny (two 5 s files, yin,
one worker, in-process Beam)."""
import hashlib
import os
import pathlib
import shutil
import tempfile

import soundfile as sf
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ddsp_train import synthetic
from ddsp_train.prepare import main
from prepare_support import MIDI_BYTES

INPUTS = ["rec", "rec/a.wav", "rec/*.wav", "rec/**/*.flac", "missing", "missing/*.wav", "song.mid", "notes.txt"]
#: ... and "/proc/ddsp-out": unwritable even for root (tests/test_prepare_output.py runs the
#: permission-denied case as another user).
OUTPUTS = ["new", "a/b/c", "empty", "foreign", "own", "rec", "rec/out", ".", "rec/a.wav", "notes.txt/x",
           "song.mid", "rec/sub", "/proc/ddsp-out"]
OPTIONS = {
    "--sample-rate": ["16000", "8000", "7999", "-5", "abc", "22050"],
    "--frame-rate": ["50", "62.5", "0", "x", "100"],
    "--example-secs": ["2", "0.33", "-1", "0", "4", "1e9"],
    "--hop-secs": ["1", "0", "0.5", "0.011"],
    "--eval-fraction": ["0.1", "1", "-0.2", "0.5", "nan", "0"],
    "--workers": ["1", "0", "-1"],
    "--shards": ["1", "0", "3"],
    "--seed": ["0", "7", "-3", "q"],
    "--f0-method": ["yin", "crepe", ""],
}


def tree_hashes(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(pathlib.Path(root).rglob("*")) if p.is_file()}


def make_world(root, prepared_dataset, audio):
    (root / "rec" / "sub").mkdir(parents=True)
    sf.write(root / "rec" / "a.wav", audio, 16000)
    sf.write(root / "rec" / "sub" / "b.flac", audio[::-1].copy(), 16000)
    (root / "rec" / "README.txt").write_text("about the takes")
    (root / "song.mid").write_bytes(MIDI_BYTES)
    (root / "notes.txt").write_text("mine")
    (root / "empty").mkdir()
    (root / "foreign").mkdir()
    (root / "foreign" / "keep.txt").write_text("keep")
    shutil.copytree(prepared_dataset, root / "own")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(inputs=st.lists(st.sampled_from(INPUTS), max_size=3), output=st.one_of(st.none(), st.sampled_from(OUTPUTS)),
       options=st.dictionaries(st.sampled_from(sorted(OPTIONS)), st.integers(0, 5), max_size=5),
       flags=st.sets(st.sampled_from(["--overwrite", "--strict", "--quiet"])),
       beam=st.sampled_from([[], ["--", "--direct_running_mode=in_memory"], ["--", "--no_such_beam_option=1"]]))
@example(inputs=["rec"], output="rec", options={}, flags={"--overwrite"}, beam=[])  # deleted the recordings
@example(inputs=["rec"], output=".", options={}, flags={"--overwrite"}, beam=[])  # deleted README.txt beside them
@example(inputs=["rec/*.wav"], output="rec/out", options={}, flags=set(), beam=[])
@example(inputs=["rec"], output="foreign", options={}, flags={"--overwrite"}, beam=[])
@example(inputs=["rec"], output="notes.txt/x", options={}, flags=set(), beam=[])
@example(inputs=["song.mid"], output="new", options={}, flags=set(), beam=[])
@example(inputs=["rec"], output="/proc/ddsp-out", options={}, flags=set(), beam=[])
@example(inputs=["rec"], output="own", options={}, flags={"--overwrite", "--quiet"}, beam=[])  # a real, tiny run
def test_no_traceback_and_inputs_never_change(prepared_dataset, capsys, inputs, output, options, flags, beam):
    audio = synthetic.demo_phrase(seconds=5, seed=1).audio
    root = pathlib.Path(tempfile.mkdtemp(prefix="ddsp-prop-"))
    cwd = os.getcwd()
    try:
        make_world(root, prepared_dataset, audio)
        os.chdir(root)
        keep = {name: tree_hashes(root / name) for name in ("rec", "foreign")}
        keep_files = {name: (root / name).read_bytes() for name in ("song.mid", "notes.txt")}
        args = list(inputs) + (["-o", output] if output is not None else [])
        for name, index in options.items():
            args += [name, OPTIONS[name][index % len(OPTIONS[name])]]
        args += sorted(flags)
        if "--f0-method" not in options:
            args += ["--f0-method", "yin"]  # never load the network here
        if "--workers" not in options:
            args += ["--workers", "1"]
        args += beam
        capsys.readouterr()
        try:
            main(args)
            code = 0
        except SystemExit as e:
            code = e.code
        out, err = capsys.readouterr()
        assert code in (0, 1, 2), (args, code, err)
        assert "Traceback" not in err, (args, err)
        if code:
            assert "Error:" in err, (args, err)
        else:
            assert output is not None and (root / output / "dataset.json").is_file(), (args, err)
            assert out.startswith("Wrote ")
        assert {name: tree_hashes(root / name) for name in ("rec", "foreign")} == keep, args
        assert {name: (root / name).read_bytes() for name in ("song.mid", "notes.txt")} == keep_files, args
        assert not [p for p in os.listdir(root) if p.startswith(".ddsp-prepare-staging-")], args
    finally:
        os.chdir(cwd)
        shutil.rmtree(root, ignore_errors=True)
