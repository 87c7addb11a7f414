"""The staging folder: made beside --output, committed in one step, and cleaning abandoned ones
never removes anything but a dead run's own staging folder."""
import json
import os
import socket
import subprocess
import sys
import time

from ddsp_train.data import staging


def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def fake_staging(parent, name, *, pid, host=None, extra=()):
    path = parent / f"{staging.STAGING_PREFIX}{name}"
    (path / "_records").mkdir(parents=True)
    (path / "_records" / "000000-000000000000-train.tfrecord").write_bytes(b"x")
    (path / "train.tfrecord-00000-of-00001").write_bytes(b"x")
    (path / staging.MARKER).write_text(json.dumps({"pid": pid, "host": host or socket.gethostname()}))
    for e in extra:
        (path / e).write_text("the user's")
    return path


def test_create_marks_the_folder_and_commit_replaces_the_output(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "dataset.json").write_text("{}")
    path = staging.create(str(out))
    assert os.path.dirname(path) == str(tmp_path) and os.path.basename(path).startswith(staging.STAGING_PREFIX + "ds-")
    assert json.loads(open(os.path.join(path, staging.MARKER)).read())["pid"] == os.getpid()
    assert not staging.is_abandoned(path)  # ours, running
    open(os.path.join(path, "dataset.json"), "w").write('{"new": 1}')
    staging.commit(path, str(out))
    assert os.listdir(out) == ["dataset.json"] and json.loads((out / "dataset.json").read_text()) == {"new": 1}
    assert sorted(os.listdir(tmp_path)) == ["ds"]


def test_only_a_dead_runs_own_staging_folder_is_removed(tmp_path):
    dead = dead_pid()
    ours = fake_staging(tmp_path, "ds-1-aaaa", pid=dead)
    with_user_file = fake_staging(tmp_path, "ds-2-bbbb", pid=dead, extra=["my_take.wav"])
    other_host = fake_staging(tmp_path, "ds-3-cccc", pid=dead, host="another-machine")
    running = fake_staging(tmp_path, "ds-4-dddd", pid=os.getppid())
    no_marker = tmp_path / f"{staging.STAGING_PREFIX}notes"
    no_marker.mkdir()
    (no_marker / "notes.txt").write_text("mine")
    old = time.time() - 3 * 24 * 3600
    os.utime(no_marker, (old, old))  # the old code removed marker-less ones after a day
    target = tmp_path / "recordings"
    target.mkdir()
    (target / "take.wav").write_text("audio")
    link = tmp_path / f"{staging.STAGING_PREFIX}link"
    link.symlink_to(target)
    fresh_empty, old_empty = tmp_path / f"{staging.STAGING_PREFIX}e1", tmp_path / f"{staging.STAGING_PREFIX}e2"
    fresh_empty.mkdir()
    old_empty.mkdir()
    os.utime(old_empty, (old, old))

    removed = staging.remove_abandoned(str(tmp_path))
    assert sorted(removed) == sorted([str(ours), str(old_empty)])
    for kept in (with_user_file, other_host, running, no_marker, link, fresh_empty):
        assert os.path.lexists(kept), kept
    assert (with_user_file / "my_take.wav").read_text() == "the user's"
    assert (target / "take.wav").read_text() == "audio" and (no_marker / "notes.txt").read_text() == "mine"


def test_discard_removes_the_folder(tmp_path):
    path = staging.create(str(tmp_path / "ds"))
    os.makedirs(os.path.join(path, "_records"))
    staging.discard(path)
    assert os.listdir(tmp_path) == []
