"""export.json (ddsp_train.exporting.manifest): an export folder is recognised by what ddsp-export
wrote, a re-export removes only its own stale files and names the rest."""
import pathlib

from ddsp_train.exporting import manifest, metadata


def ours(path: pathlib.Path) -> pathlib.Path:
    path.write_bytes(metadata.append_metadata(b"\0\0\0\0TFL3" + bytes(8), {"version": "ddsp-train 0.1.0"}))
    return path


def test_tidy_removes_what_the_previous_manifest_lists_and_names_the_rest(tmp_path):
    ours(tmp_path / "Old.tflite")
    (tmp_path / "Old.saved_model").mkdir()
    (tmp_path / "Old.saved_model" / "saved_model.pb").write_bytes(b"pb")
    (tmp_path / "Old.selfcheck.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("mine")
    ours(tmp_path / "New.tflite")
    previous = {"writer": "ddsp-export", "files": ["Old.tflite", "Old.saved_model", "Old.selfcheck.json",
                                                    "gone.wav", "../outside.txt", "/etc/passwd", ".hidden"]}
    (tmp_path.parent / "outside.txt").write_text("not in the folder")
    removed, foreign = manifest.tidy(tmp_path, previous=previous, written=["New.tflite"])
    assert removed == ["Old.saved_model", "Old.selfcheck.json", "Old.tflite"]
    assert foreign == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["New.tflite", "notes.txt"]
    assert (tmp_path.parent / "outside.txt").exists()  # a manifest never reaches outside its folder


def test_a_written_manifest_round_trips_and_marks_an_export_folder(tmp_path):
    assert not manifest.is_export_folder(tmp_path) or not list(tmp_path.iterdir())
    (tmp_path / "mine.txt").write_text("x")
    assert not manifest.is_export_folder(tmp_path)
    manifest.write_manifest(tmp_path, files=["A.tflite", "A.tflite", "features.tflite"], name="A", step=7)
    data = manifest.read_manifest(tmp_path)
    assert data["files"] == ["A.tflite", "features.tflite"] and data["step"] == 7 and data["name"] == "A"
    assert manifest.is_export_folder(tmp_path)


def test_an_export_folder_of_an_older_version_is_recognised_by_its_entries(tmp_path):
    ours(tmp_path / "Violin.tflite")
    (tmp_path / "features.tflite").write_bytes(b"x")
    (tmp_path / "Violin.selfcheck.json").write_text("{}")
    (tmp_path / "Violin.saved_model").mkdir()
    (tmp_path / "Violin.saved_model" / "ddsp_train.json").write_text("{}")
    assert manifest.is_export_folder(tmp_path)
    (tmp_path / "Flute.tflite").write_bytes(b"someone else's model")  # not ours: the folder is not ours either
    assert not manifest.is_export_folder(tmp_path)
