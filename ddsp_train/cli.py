"""What every console script shares: a quiet start, clear errors, ``--version`` and ``--verbose``.

Each command module (prepare, train, export, transfer) is a thin click shell over one library
function; :func:`run` wraps the click command so that

- a :class:`~ddsp_train.errors.UserError` prints ``Error: <message>`` on stderr and exits with
  its code, with no traceback;
- Ctrl-C prints ``Interrupted.`` and exits with 130;
- TensorFlow's native start-up lines (``cuInit``, oneDNN, "Could not find cuda drivers") are
  dropped from stderr unless ``--verbose`` is given. They come from C++ logging that no
  environment variable silences before ``absl::InitializeLog``, so the console script's stderr
  file descriptor goes through a filter thread; Python's own ``sys.stderr`` bypasses it.

:func:`command` is the decorator every command uses: the shared context settings, ``--version``,
``--verbose`` and an examples epilog that click prints verbatim (copy-and-paste safe).
"""
from __future__ import annotations

import atexit
import functools
import io
import os
import re
import sys
import threading
from typing import Callable, Sequence

import click

from ddsp_train import __version__
from ddsp_train.errors import UserError

#: Lines of native (C++) logging that say nothing to a user of a CPU or GPU machine.
NATIVE_NOISE = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IWE]\d{4} [\d:.]+\s+\d+ [\w.\-]+:\d+\] .*"
    rb"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."
    rb"|.*This TensorFlow binary is optimized to use available CPU instructions.*"
    rb"|.*rebuild TensorFlow with the appropriate compiler flags.*"
    # The continuation lines of the coordination service's log when a worker of a cluster stops
    # (ddsp-train says it in one Error: line).
    rb"|/job:\w+/replica:\d+/task:\d+"
    rb"|(The tasks have crashed|The error could be from a previous operation)\. .*)$")

_filter_installed = False


class _Interrupted(Exception):
    """Ctrl-C inside a command, carried past click (which would print a newline of its own)."""


def quiet_tensorflow() -> None:
    """Silence TensorFlow's Python and C++ logging that the environment can reach."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "2")


def filter_native_stderr(pattern: re.Pattern = NATIVE_NOISE) -> None:
    """Route file descriptor 2 through a thread that drops lines matching ``pattern``.

    Python's ``sys.stderr`` is re-pointed at the original descriptor, so messages, progress lines
    and tracebacks are unchanged (and ``isatty`` still tells a terminal); only what native code
    and child processes write to fd 2 is filtered.
    """
    global _filter_installed
    if _filter_installed:
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
    except OSError:
        return
    sys.stderr = io.TextIOWrapper(io.FileIO(real, "w", closefd=False), write_through=True,
                                  encoding=sys.stderr.encoding or "utf-8", errors="backslashreplace")

    def pump() -> None:
        with open(read_end, "rb") as source:
            for line in source:
                if not pattern.match(line.rstrip(b"\r\n")):
                    os.write(real, line)

    thread = threading.Thread(target=pump, name="native-stderr-filter", daemon=True)
    thread.start()

    def drain() -> None:
        """At exit: put the real stderr back on fd 2 (closing our end of the pipe) and let the
        filter write what is still in the pipe."""
        try:
            os.dup2(real, 2)
        except OSError:
            return
        thread.join(timeout=2.0)

    atexit.register(drain)
    _filter_installed = True


def run(command: click.Command, args: Sequence[str] | None = None) -> None:
    """Run a click ``command``; turn UserError into a one-line message and its exit code.

    ``args=None`` (a console script) reads ``sys.argv`` and filters native log noise from
    stderr unless ``--verbose`` is among them.
    """
    quiet_tensorflow()
    argv = list(sys.argv[1:] if args is None else args)
    if args is None and "--verbose" not in argv:
        filter_native_stderr()
    try:
        command.main(args=argv, standalone_mode=False)
    except UserError as e:
        click.echo(f"Error: {e.message}", err=True)
        sys.exit(e.exit_code)
    except (_Interrupted, click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)


def examples_epilog(examples: Sequence[str], note: str = "") -> str:
    """An epilog with one example per line, kept verbatim by click (the ``\\b`` marker stops it
    from re-wrapping, so every line can be copied into a shell), then an optional ``note``."""
    text = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in examples)
    return text + (f"\n\n{note}" if note else "")


def command(*, examples: Sequence[str], note: str = "") -> Callable[[Callable], click.Command]:
    """``@click.command`` with the shared settings, ``--version``, ``--verbose`` and ``examples``."""

    def decorate(fn: Callable) -> click.Command:
        @functools.wraps(fn)
        def callback(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except KeyboardInterrupt:
                raise _Interrupted() from None

        with_options = click.option("--verbose", is_flag=True, expose_value=False, is_eager=True,
                                    help="Show TensorFlow's and Beam's own log lines too.")(callback)
        with_options = click.version_option(__version__, "--version", message="%(prog)s %(version)s")(with_options)
        return click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
                             epilog=examples_epilog(examples, note))(with_options)

    return decorate
