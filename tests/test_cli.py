"""ddsp_train.cli: one-line errors, Interrupted. on Ctrl-C, --version, verbatim examples, quiet start."""
import subprocess
import sys
import textwrap

import click
import pytest

from ddsp_train import __version__, cli
from ddsp_train.errors import UserError


def _command(action):
    @cli.command(examples=["tool IN --output OUT -- --runner=DirectRunner --direct_num_workers=4 --a-long-flag=xyz"],
                 note="Everything after -- goes to Beam.")
    @click.option("--n", type=int, default=1)
    def tool(n):
        """Do a thing."""
        action(n)

    return tool


def _run(command, args, capsys):
    with pytest.raises(SystemExit) as e:
        cli.run(command, args)
        raise SystemExit(0)
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def test_user_error_is_one_line_with_its_exit_code(capsys):
    def fail(n):
        raise UserError("--n 3 is too big; use 1 or 2", exit_code=2)

    code, _, err = _run(_command(fail), ["--n", "3"], capsys)
    assert (code, err) == (2, "Error: --n 3 is too big; use 1 or 2\n")


def test_ctrl_c_prints_interrupted_and_exits_130(capsys):
    def interrupt(n):
        raise KeyboardInterrupt

    code, _, err = _run(_command(interrupt), [], capsys)
    assert (code, err) == (130, "Interrupted.\n")


def test_version_and_help_examples_survive_rewrapping(capsys):
    code, out, _ = _run(_command(print), ["--version"], capsys)
    assert code == 0 and out.strip().endswith(__version__)
    code, out, _ = _run(_command(print), ["--help"], capsys)
    assert "  tool IN --output OUT -- --runner=DirectRunner --direct_num_workers=4 --a-long-flag=xyz\n" in out
    assert "--verbose" in out and "Everything after -- goes to Beam." in out


def test_native_start_up_lines_are_dropped_unless_verbose(tmp_path):
    script = tmp_path / "noisy.py"
    script.write_text(textwrap.dedent("""
        import os, sys, click
        from ddsp_train import cli

        @cli.command(examples=["noisy"])
        def noisy():
            os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n")
            os.write(2, b"I0000 00:00:1796221648.504963    2316 cudart_stub.cc:31] Could not find cuda drivers\\n")
            os.write(2, b"E0000 00:00:1796221648.504963    2316 cuda_executor.cc:1228] failed call to cuInit: 303\\n")
            os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
            os.write(2, b"a real native message\\n")
            print("python stderr line", file=sys.stderr)
            click.echo("result")

        cli.run(noisy)
    """))
    quiet = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert quiet.returncode == 0 and quiet.stdout == "result\n"
    assert "cuInit" not in quiet.stderr and "cuda drivers" not in quiet.stderr and "absl" not in quiet.stderr
    assert "XNNPACK" not in quiet.stderr
    assert "a real native message" in quiet.stderr and "python stderr line" in quiet.stderr
    loud = subprocess.run([sys.executable, str(script), "--verbose"], capture_output=True, text=True)
    assert "cuInit" in loud.stderr and "cuda drivers" in loud.stderr
