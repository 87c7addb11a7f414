"""ddsp-prepare's command line: --help (formats, verbatim examples), --version, defaults that come
from prepare_dataset's signature."""
import inspect
import os
import subprocess
import sys

import pytest

from ddsp_train import __version__
from ddsp_train.data.pipeline import prepare_dataset
from ddsp_train.pitch import DEFAULT_F0_METHOD
from ddsp_train.prepare import DEFAULTS, EXAMPLES, command, main, split_beam_args


def run(args, capsys):
    try:
        main(args)
        code = 0
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("columns", ["40", "200"])
def test_help_keeps_every_example_on_one_line_and_names_the_formats(capsys, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    code, text, _ = run(["--help"], capsys)
    assert code in (0, None)
    lines = [line.strip() for line in text.splitlines()]
    for example in EXAMPLES:
        assert example in lines, (example, text)  # copy-paste safe: not re-wrapped
    assert any("-- --direct_running_mode=" in line for line in lines)
    assert "wav, flac, ogg, mp3, aiff" in " ".join(lines)
    assert "[default: 16000]" in " ".join(lines) and f"[default: {DEFAULT_F0_METHOD}]" in " ".join(lines)


def test_version():
    script = os.path.join(os.path.dirname(sys.executable), "ddsp-prepare")
    proc = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"ddsp-prepare {__version__}", proc


def test_cli_defaults_are_the_library_defaults():
    signature = inspect.signature(prepare_dataset).parameters
    assert DEFAULTS["f0_method"] == DEFAULT_F0_METHOD == signature["f0_method"].default
    for param in command.params:
        if param.name in signature and param.name not in ("inputs", "output", "beam_args") and not param.is_flag:
            assert param.default == signature[param.name].default, param.name


def test_beam_args_after_double_dash():
    assert split_beam_args(["a", "-o", "x", "--", "--runner=X", "--y=1"]) == [
        "a", "-o", "x", "--beam-arg=--runner=X", "--beam-arg=--y=1"]
    assert split_beam_args(["a"]) == ["a"]


def test_usage_errors_are_one_line(capsys, tmp_path):
    code, _, err = run([str(tmp_path), "--sample-rate", "abc", "-o", str(tmp_path / "o")], capsys)
    assert code == 2 and "Traceback" not in err
    code, _, err = run(["-o", str(tmp_path / "o")], capsys)
    assert code == 2 and err.startswith("Error: give at least one INPUT") and err.count("\n") == 1
