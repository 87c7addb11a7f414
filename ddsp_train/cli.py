"""What every console script shares: quiet TensorFlow start-up and clear errors.

Each command module (prepare, train, export, transfer) is a thin click shell over one library
function; :func:`run` wraps the click command so that a :class:`~ddsp_train.errors.UserError`
prints ``Error: <message>`` on stderr and exits with its code, with no traceback.
"""
import os
import sys

import click

from ddsp_train.errors import UserError


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up chatter unless the user asked for it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "2")


def run(command: click.Command, args=None) -> None:
    """Run a click ``command``; turn UserError into a one-line message and its exit code."""
    quiet_tensorflow()
    try:
        command.main(args=args, standalone_mode=False)
    except UserError as e:
        click.echo(f"Error: {e.message}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
