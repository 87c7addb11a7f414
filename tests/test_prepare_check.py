"""The data check wired into ddsp-prepare: report.html, dataset.json's "check", the summary's
verdicts, and ``ddsp-prepare --check-only``."""
import json
import os
import pathlib

import pytest
import soundfile as sf

import reports_support
from prepare_support import run_cli

from ddsp_train import dataset_info
from ddsp_train.data import summary as summary_lib
from ddsp_train.reports.checks import ITEMS


def test_prepared_dataset_carries_the_data_check(prepared_dataset):
    folder = pathlib.Path(prepared_dataset)
    raw = json.loads((folder / dataset_info.FILENAME).read_text())
    used = [f for f in raw["files"] if f["status"] == "used"]
    assert len(used) == 3 and all(set(f["check"]["verdicts"]) == set(ITEMS) for f in used)
    # Three 12 s bowed phrases: one note at a time, dry, unclipped, but far too short to train well.
    assert set(raw["check"]["verdicts"]) == set(ITEMS) and raw["check"]["files"] == 3
    assert raw["check"]["verdicts"]["length"]["level"] == "fix" and raw["check"]["overall"] == "fix"
    assert raw["check"]["verdicts"]["monophony"]["level"] == "good"
    assert 30 < raw["check"]["seconds"] < 40  # 3 x 12 s
    page = (folder / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "Fix this first" in page
    assert all(os.path.basename(f["path"]) in page for f in used)
    # The summary ends with the verdicts read back from dataset.json, and what to do.
    lines = summary_lib.summary_lines(dataset_info.DatasetInfo.read(folder), output=str(folder))
    assert lines[-1] == "  verdict: fix this first"
    assert any(line.split() == ["good", "One", "note", "at", "a", "time:", "All", "files:", "one", "note", "at",
                                "a", "time"] for line in lines)
    length = next(i for i, line in enumerate(lines) if "Length:" in line)
    assert lines[length].split()[:3] == ["fix", "this", "first"] and "-> Record more" in lines[length + 1]


def test_the_check_reuses_the_jobs_features_and_agrees_with_tracking_again(prepared_dataset):
    """dataset.json's check comes from the job's own f0/confidence/power (no second tracking);
    checked again from disk with the same tracker (yin) it gives the same figures."""
    from ddsp_train.reports import files

    info = dataset_info.DatasetInfo.read(prepared_dataset)
    again, _ = files.check_dataset(info, say=lambda line: None)
    stored = {f["path"]: f["check"] for f in info.files if f["status"] == "used"}
    assert sorted(stored) == sorted(c.path for c in again)
    for c in again:
        s = stored[c.path]
        assert abs(s["seconds"] - c.seconds) < 0.05
        assert abs(s["usable_seconds"] - c.usable_seconds) <= 0.1 * c.usable_seconds + 0.1
        assert abs(s["low_midi"] - c.low_midi) <= 0.5 and abs(s["high_midi"] - c.high_midi) <= 0.5
        assert abs(s["level_db"]["q50"] - c.level_db[1]) <= 0.5
        assert s["voiced_share"] == pytest.approx(c.voiced_share, abs=0.03)
        assert s["verdicts"] == c.levels()


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("takes")
    sf.write(folder / "chord.wav", 0.4 * reports_support.chord(), reports_support.SAMPLE_RATE)
    sf.write(folder / "clean.wav", reports_support.clean(), reports_support.SAMPLE_RATE)
    return folder


def listing(*folders):
    return {str(p): p.stat().st_mtime_ns for f in folders for p in pathlib.Path(f).rglob("*")}


def test_check_only_flags_the_chord_only_and_writes_nothing(takes, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = listing(takes, tmp_path)
    assert run_cli([takes, "--check-only", "--f0-method", "yin", "-q"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert listing(takes, tmp_path) == before
    chord, clean = (next(line for line in out if f"{name}.wav:" in line) for name in ("chord", "clean"))
    assert chord.split()[:3] == ["fix", "this", "first"] and "chords / several notes" in chord
    assert clean.split()[0] == "good" and "nothing to fix" in clean
    monophony = next(line for line in out if "One note at a time:" in line)
    assert "chord.wav" in monophony and "clean.wav" not in monophony and monophony.split()[0] == "fix"
    assert out[-1] == "  verdict: fix this first"


def test_check_only_with_output_writes_only_the_page(takes, tmp_path, capsys):
    out_dir = tmp_path / "check"
    assert run_cli([takes / "clean.wav", "--check-only", "--output", out_dir, "--f0-method", "yin", "-q"]) == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.html"]
    page = (out_dir / "report.html").read_text()
    assert "clean.wav" in page and "chord.wav" not in page and "data:audio/wav;base64," in page
    assert f"details: {out_dir / 'report.html'}" in capsys.readouterr().out
    # Again: the page exists, so --overwrite is needed; refused before any work, nothing changed.
    before = listing(out_dir)
    assert run_cli([takes / "clean.wav", "--check-only", "--output", out_dir, "-q"]) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err and listing(out_dir) == before


def test_check_only_refuses_an_output_inside_an_input(takes, capsys):
    assert run_cli([takes, "--check-only", "--output", takes / "report", "-q"]) == 2
    assert capsys.readouterr().err.startswith("Error: --output")
    assert not (takes / "report").exists()


def test_prepare_without_output_or_check_only_is_a_usage_error(takes, capsys):
    assert run_cli([takes]) == 2
    assert "--check-only" in capsys.readouterr().err


def test_check_only_refuses_nsynth_notes(tmp_path, capsys):
    from ddsp_support import write_nsynth

    path = tmp_path / "nsynth-valid.tfrecord"
    write_nsynth(path)
    assert run_cli([path, "--check-only", "--output", tmp_path / "page"]) == 2
    assert "--check-only checks recordings" in capsys.readouterr().err and not (tmp_path / "page").exists()


def test_a_killed_runs_staging_folder_with_its_report_html_is_removed(tmp_path):
    """A run killed after writing report.html into its staging folder leaves nothing of its own
    behind: the next run removes that folder (it would be kept as someone else's otherwise)."""
    import subprocess
    import sys

    from ddsp_train.atomic import write_json_atomic
    from ddsp_train.data import staging

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a pid that is gone
    folder = staging.create(str(tmp_path / "ds"))
    marker = json.loads(pathlib.Path(folder, staging.MARKER).read_text())
    write_json_atomic(pathlib.Path(folder, staging.MARKER), {**marker, "pid": child.pid})
    for name in ("report.html", "report.png", dataset_info.FILENAME):
        pathlib.Path(folder, name).write_text("x")
    assert staging.remove_abandoned(str(tmp_path)) == [folder] and not os.path.exists(folder)


def test_check_only_starts_neither_tensorflow_nor_beam(takes):
    """What keeps --check-only quick (about 2 s on 1 minute of audio): no TensorFlow, no Beam job."""
    import subprocess
    import sys

    code = ("import sys\nfrom ddsp_train.prepare import main\n"
            f"try:\n    main([{str(takes / 'clean.wav')!r}, '--check-only', '-q', '--f0-method', 'yin'])\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            "print(sorted({'tensorflow', 'apache_beam'} & set(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "[]" and lines[-2] == "  verdict: fix this first"
