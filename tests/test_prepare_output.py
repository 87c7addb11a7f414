"""ddsp-prepare never loses the user's files: --output may not be, hold or lie in an INPUT,
--overwrite replaces only its own output, unwritable places are refused before any work (without
importing TensorFlow), and Ctrl-C says only ``Interrupted.`` and leaves no staging folder."""
import hashlib
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest
import soundfile as sf

from ddsp_train import synthetic
from prepare_support import MIDI_BYTES, interrupt_in_job, run_cli

ROOT = str(pathlib.Path(__file__).resolve().parents[1])


def tree_hashes(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(pathlib.Path(folder).rglob("*"))}


@pytest.fixture
def takes(tmp_path):
    folder = tmp_path / "vd2" / "takes"
    folder.mkdir(parents=True)
    for seed in (1, 2):
        sf.write(folder / f"take{seed}.wav", synthetic.demo_phrase(seconds=5, seed=seed).audio, 16000)
    (tmp_path / "vd2" / "README.txt").write_text("about these takes")
    return folder


@pytest.mark.parametrize("case", ["output is the input", "output holds the input", "output inside the input",
                                  "output inside a pattern's folder", "output is an input file"])
def test_an_output_that_overlaps_an_input_is_refused_and_nothing_changes(takes, case, capsys):
    vd2 = takes.parent
    given, output, message = {
        "output is the input": ([takes], takes, "is also an input"),
        "output holds the input": ([takes], vd2, "holds the input"),
        "output inside the input": ([takes], takes / "ds", "lies inside the input folder"),
        "output inside a pattern's folder": ([takes / "*.wav"], takes / "ds", "lies inside the input folder"),
        "output is an input file": ([takes / "take1.wav"], takes / "take1.wav", "is also an input"),
    }[case]
    before = tree_hashes(vd2.parent)
    code = run_cli([*given, "--output", output, "--overwrite", "--f0-method", "yin"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("Error: --output ") and message in err and err.count("\n") == 1, err
    assert tree_hashes(vd2.parent) == before  # the recordings and README.txt are all there


def test_refusals_come_before_any_work_without_tensorflow(tmp_path):
    """Each refusal is one Error: line (an output under a file gave FileExistsError), and none
    imports TensorFlow or Beam: they come before any work."""
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "song.mid").write_bytes(MIDI_BYTES)
    (tmp_path / "takes").mkdir()
    sf.write(tmp_path / "takes" / "a.wav", synthetic.demo_phrase(seconds=5, seed=1).audio, 16000)
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "keep.txt").write_text("keep")
    takes = str(tmp_path / "takes")
    cases = [([takes, "-o", str(tmp_path / "notes.txt" / "ds")], 1, "is a file, not a folder"),
             ([takes, "-o", takes, "--overwrite"], 2, "is also an input"),
             ([takes, "-o", str(tmp_path), "--overwrite"], 2, "holds the input"),
             ([takes, "-o", str(tmp_path / "foreign"), "--overwrite"], 2, "was not written by ddsp-prepare"),
             ([str(tmp_path / "nope"), "-o", str(tmp_path / "ds")], 2, "does not exist"),
             ([str(tmp_path / "song.mid"), "-o", str(tmp_path / "ds")], 2, "is a MIDI file")]
    code = ("import json, sys\nfrom ddsp_train.prepare import main\ncodes = []\n"
            "for args in json.loads(sys.argv[1]):\n"
            "    try:\n        main(args)\n        codes.append(0)\n"
            "    except SystemExit as e:\n        codes.append(e.code)\n"
            "assert 'tensorflow' not in sys.modules and 'apache_beam' not in sys.modules, 'imported'\n"
            "print(json.dumps(codes))\n")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps([args for args, _, _ in cases])],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [want for _, want, _ in cases], proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == len(cases), proc.stderr
    for line, (_, _, message) in zip(lines, cases):
        assert line.startswith("Error: ") and message in line, line
    assert (tmp_path / "notes.txt").read_text() == "x" and os.listdir(tmp_path / "foreign") == ["keep.txt"]
    assert not (tmp_path / "ds").exists()


def run_as_nobody(args, *, cwd):
    """ddsp-prepare ``args`` in a forked child running as uid/gid 65534 (the interpreter under /root is
    not readable by that user, so no new Python is started); ``(exit code, stderr)``."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 70
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            os.chdir(cwd)
            sys.stderr = io.TextIOWrapper(io.FileIO(write_end, "w"), write_through=True)
            os.environ.update(HOME=cwd, TMPDIR=cwd)
            code = run_cli(args)
        except BaseException as e:  # a bug: report it to the parent
            os.write(write_end, f"child failed: {e!r}\n".encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as f:
        err = f.read()
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), err


def test_an_unwritable_output_is_refused_before_any_work():
    """As another user (root may write anywhere): a read-only folder, as --output and as the
    parent of --output, gives one Error: line before anything is read (the old code failed with
    a PermissionError after processing)."""
    if os.getuid() != 0:
        pytest.skip("needs root to run the check as another user")
    base = tempfile.mkdtemp(prefix="ddsp-unwritable-")
    locked = os.path.join(base, "locked")
    try:
        os.chmod(base, 0o777)
        sf.write(os.path.join(base, "a.wav"), synthetic.demo_phrase(seconds=5, seed=1).audio, 16000)
        os.chmod(os.path.join(base, "a.wav"), 0o644)
        os.mkdir(locked)
        os.chmod(locked, 0o555)
        for output in (locked, os.path.join(locked, "ds")):
            code, err = run_as_nobody([os.path.join(base, "a.wav"), "-o", output, "--f0-method", "yin"], cwd=base)
            assert code == 1 and err.startswith(f"Error: --output {output}: cannot write in "), err
            assert "permission denied" in err and err.count("\n") == 1, err
            assert os.listdir(locked) == [] and sorted(os.listdir(base)) == ["a.wav", "locked"]
    finally:
        os.chmod(locked, 0o755)
        shutil.rmtree(base)


@pytest.mark.parametrize("mode, wait", [("in_memory", 1.5), ("multi_processing", 5.0)])
def test_ctrl_c_says_interrupted_and_leaves_no_staging_folder(prepared_audio_dir, tmp_path, mode, wait):
    """In-process and with worker processes (whose watcher threads used to print tracebacks, and
    Beam's wrapped KeyboardInterrupt gave exit 1 with a Beam log)."""
    code, stdout, stderr = interrupt_in_job(
        [prepared_audio_dir, "-o", tmp_path / "ds", "--f0-method", "pyin", "--example-secs", "2", "--",
         f"--direct_running_mode={mode}", "--direct_num_workers=2"], folder=tmp_path, wait=wait)
    assert code == 130, stderr
    assert stdout == "" and stderr.endswith("Interrupted.\n"), stderr
    for bad in ("Beam log", "Traceback", "KeyboardInterrupt"):
        assert bad not in stderr, stderr
    expected = ("Checking", "Features", "Preparing", "Note:")
    others = [line for line in stderr.splitlines() if not line.startswith(expected)]
    assert others == ["Interrupted."], stderr
    assert os.listdir(tmp_path) == []  # no staging folder, no output


def test_overwrite_through_a_symlink_replaces_the_folder_it_names(prepared_audio_dir, prepared_dataset, tmp_path):
    real = tmp_path / "datasets" / "violin"
    real.parent.mkdir()
    shutil.copytree(prepared_dataset, real)
    link = tmp_path / "current"
    link.symlink_to(real)
    assert run_cli([prepared_audio_dir, "-o", link, "--overwrite", "--f0-method", "yin", "--example-secs", 3,
                    "--workers", 1, "--quiet"]) == 0
    assert link.is_symlink() and (real / "dataset.json").is_file()
    assert '"example_secs": 3.0' in (real / "dataset.json").read_text()
    assert sorted(os.listdir(real.parent)) == ["violin"] and sorted(os.listdir(tmp_path)) == ["current", "datasets"]
