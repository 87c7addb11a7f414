"""ddsp_train.paths: an output may never be, hold or sit inside an input, nor replace what we did not write."""
import os

import pytest

from ddsp_train import paths
from ddsp_train.errors import UserError


@pytest.fixture
def takes(tmp_path):
    folder = tmp_path / "takes"
    folder.mkdir()
    (folder / "a.wav").write_bytes(b"RIFF")
    return folder


def test_output_equal_to_inside_or_holding_an_input_is_refused(takes, tmp_path):
    for output, words in [(takes, "is also an input"), (takes / "dataset", "lies inside the input folder"),
                          (tmp_path, "holds the input"), (takes / "a.wav", "lies inside the input folder")]:
        with pytest.raises(UserError, match=words):
            paths.check_not_input(output, [takes])
    with pytest.raises(UserError, match="is also an input"):
        paths.check_not_input(takes / "a.wav", [takes / "a.wav"])
    with pytest.raises(UserError, match="holds the input"):
        paths.check_not_input(takes, [takes / "a.wav"])
    paths.check_not_input(tmp_path / "dataset", [takes])  # a sibling is fine
    paths.check_not_input(tmp_path / "takes2", [takes])  # a shared name prefix is not "inside"


def test_links_are_followed(takes, tmp_path):
    link = tmp_path / "alias"
    link.symlink_to(takes)
    with pytest.raises(UserError, match="is also an input"):
        paths.check_not_input(link, [takes])


def test_output_dir_replaces_only_a_folder_with_its_marker(tmp_path):
    new = tmp_path / "new"
    assert paths.check_output_dir(new, overwrite=False, marker="dataset.json", writer="ddsp-prepare") is False
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "README.txt").write_text("mine")
    with pytest.raises(UserError, match="was not written by ddsp-prepare.*even with --overwrite"):
        paths.check_output_dir(foreign, overwrite=True, marker="dataset.json", writer="ddsp-prepare")
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "dataset.json").write_text("{}")
    with pytest.raises(UserError, match="pass --overwrite"):
        paths.check_output_dir(ours, overwrite=False, marker="dataset.json", writer="ddsp-prepare")
    assert paths.check_output_dir(ours, overwrite=True, marker="dataset.json", writer="ddsp-prepare") is True
    empty = tmp_path / "empty"
    empty.mkdir()
    assert paths.check_output_dir(empty, overwrite=False, marker="dataset.json", writer="ddsp-prepare") is False


def test_a_path_under_a_regular_file_is_refused(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(UserError, match="is a file, not a folder"):
        paths.check_output_dir(blocker / "sub" / "data", overwrite=False, marker="m", writer="w")
    with pytest.raises(UserError, match="is a file, not a folder"):
        paths.check_output_file(blocker / "out.wav", overwrite=False)
    with pytest.raises(UserError, match="exists and is not a folder"):
        paths.check_output_dir(blocker, overwrite=True, marker="m", writer="w")


def test_output_file_needs_overwrite_and_is_never_a_folder(tmp_path):
    out = tmp_path / "out.wav"
    paths.check_output_file(out, overwrite=False)
    out.write_bytes(b"x")
    with pytest.raises(UserError, match="exists; pass --overwrite"):
        paths.check_output_file(out, overwrite=False)
    paths.check_output_file(out, overwrite=True)
    with pytest.raises(UserError, match="is a folder"):
        paths.check_output_file(tmp_path, overwrite=True)
    with pytest.raises(UserError, match="is also an input"):
        paths.check_output_file(out, overwrite=True, inputs=[out])


def test_unwritable_folder_is_refused_before_any_work(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        if os.access(locked, os.W_OK):  # root: a read-only file system is the only refusal we can make
            probe = "/proc/ddsp-train-probe/out.wav"
            with pytest.raises(UserError, match="cannot write in /proc"):
                paths.check_output_file(probe, overwrite=False)
        else:
            with pytest.raises(UserError, match="cannot write in .*permission denied"):
                paths.check_output_file(locked / "out.wav", overwrite=False)
    finally:
        os.chmod(locked, 0o755)


def test_model_dir_accepts_its_own_folder_and_refuses_others(tmp_path):
    assert paths.check_model_dir(tmp_path / "m", markers=("operative_config.gin",), writer="ddsp-train") is False
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "operative_config.gin").write_text("")
    assert paths.check_model_dir(ours, markers=("operative_config.gin",), writer="ddsp-train") is True
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    with pytest.raises(UserError, match="not written by ddsp-train"):
        paths.check_model_dir(other, markers=("operative_config.gin",), writer="ddsp-train")
