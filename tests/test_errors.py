"""UserError (errors.py): its message and exit code (how a command prints it: tests/test_cli.py)."""
import pytest

from ddsp_train.errors import UserError


def test_message_and_exit_code():
    error = UserError("no audio in /data: give a folder of wav files")
    assert error.message == str(error) == "no audio in /data: give a folder of wav files"
    assert error.exit_code == 1 and error.args == (error.message,)
    assert UserError("busy", exit_code=3).exit_code == 3
    with pytest.raises(UserError, match="folder") as caught:
        raise UserError("bad folder", exit_code=2)
    assert caught.value.exit_code == 2 and isinstance(caught.value, Exception)
    with pytest.raises(TypeError):
        UserError("positional exit code", 2)  # exit_code is keyword-only

