"""ddsp_train.atomic: a write either happens whole or not at all."""
import json
import os

import pytest

from ddsp_train import atomic


def test_atomic_path_replaces_the_file_only_on_success(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic.atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]  # no temporary left
    with atomic.atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # not visible before the end
    assert target.read_bytes() == b"new"


def test_written_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic.write_bytes_atomic(tmp_path / "sub" / "f.bin", b"x")
    finally:
        os.umask(old)
    assert path.read_bytes() == b"x"
    assert path.stat().st_mode & 0o777 == 0o644


def test_json_and_text_writers_round_trip(tmp_path):
    atomic.write_json_atomic(tmp_path / "a.json", {"a": [1, 2.5], "b": "c"})
    assert json.loads((tmp_path / "a.json").read_text()) == {"a": [1, 2.5], "b": "c"}
    atomic.write_text_atomic(tmp_path / "t.txt", "héllo\n")
    assert (tmp_path / "t.txt").read_text(encoding="utf-8") == "héllo\n"


def test_replace_directory_swaps_whole_folders(tmp_path):
    old, new = tmp_path / "data", tmp_path / "staging"
    old.mkdir()
    (old / "stale.txt").write_text("old")
    new.mkdir()
    (new / "fresh.txt").write_text("new")
    atomic.replace_directory(new, old)
    assert sorted(p.name for p in old.iterdir()) == ["fresh.txt"]
    assert not new.exists()
    fresh = tmp_path / "staging2"
    fresh.mkdir()
    (fresh / "x").write_text("1")
    atomic.replace_directory(fresh, tmp_path / "brand-new")
    assert (tmp_path / "brand-new" / "x").read_text() == "1"


def test_atomic_directory_leaves_the_old_folder_on_failure(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    with pytest.raises(ValueError):
        with atomic.atomic_directory(target) as tmp:
            (tmp / "partial").write_text("p")
            raise ValueError
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert (target / "keep.txt").read_text() == "keep"
    with atomic.atomic_directory(target) as tmp:
        (tmp / "new.txt").write_text("n")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
