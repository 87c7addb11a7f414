"""DATASET/report.html of a real small dataset (the conftest's prepared_dataset) and of problem takes."""
import pathlib
import re

import numpy as np

from ddsp_train import console
import pytest
import soundfile as sf

from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.reports import files as files_lib
from ddsp_train.reports.dataset_page import pick_excerpt, render_dataset_report, write_dataset_report

import reports_support as takes


@pytest.fixture(scope="module")
def dataset_report(prepared_dataset, tmp_path_factory):
    """The page of the prepared dataset, written into a copy-free temp folder."""
    info = DatasetInfo.read(prepared_dataset)
    checks, excerpts = files_lib.check_dataset(info, say=console.silent)
    out = tmp_path_factory.mktemp("dataset_report")
    return info, checks, write_dataset_report(out, checks=checks, excerpts=excerpts, info=info)


@pytest.fixture(scope="module")
def problem_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("problem_takes")
    paths = []
    for name, audio in (("clean.wav", takes.clean(1)), ("chord.wav", takes.chord(2)),
                        ("hall.wav", takes.reverb(takes.clean(3))), ("hot.wav", takes.clipped(takes.clean(4))),
                        ("hiss.wav", takes.noisy(takes.clean(5)))):
        sf.write(folder / name, audio, takes.SAMPLE_RATE, subtype="FLOAT")
        paths.append(str(folder / name))
    checks, excerpts = files_lib.check_files(paths, say=console.silent)
    return checks, write_dataset_report(folder, checks=checks, excerpts=excerpts, title="problem takes")


def _rows(text):
    """``{file name: row html}`` of the file table."""
    table = text[text.index("<h2>Every file</h2>"):]
    return {re.sub(r"<.*", "", row): row for row in re.findall(r"<tr><td>(.*?)</tr>", table)}


def test_the_page_of_a_prepared_dataset(dataset_report):
    info, checks, page = dataset_report
    text = page.read_text()
    assert page.name == "report.html"
    rows = _rows(text)
    assert sorted(rows) == sorted(pathlib.Path(f["path"]).name for f in info.files)
    for f in info.files:
        row = rows[pathlib.Path(f["path"]).name]
        assert f">{f['split']}<" in row and "<audio controls" in row and "12 s" in row
    # 36 s of clean playing: everything is fine except the length
    assert 'class="badge fix">fix this first</span>' in text.split("<h2>What the model")[0]
    assert text.count('class="badge fix"') == 2  # the headline and the length row
    assert "Record more: at least 3 minutes" in text
    # the plugin's box from dataset.json's statistics, in note names
    assert "tone-shaping box will show this model&#x27;s range as" in text
    # a musician's units, not feature names
    for word in ("power_db", "f0_hz", "MIDI", "dashed"):
        assert word not in text


def test_the_problem_takes_are_flagged_in_the_table(problem_report):
    checks, page = problem_report
    rows = _rows(page.read_text())
    assert "badge good\">ok<" in rows["clean.wav"]
    assert "chords / several notes" in rows["chord.wav"]
    assert "reverb" in rows["hall.wav"] and "clipped" in rows["hot.wav"] and "noisy" in rows["hiss.wav"]
    for name in ("chord.wav", "hall.wav", "hot.wav", "hiss.wav"):
        assert "badge fix" in rows[name], name


def test_the_excerpt_is_the_most_played_stretch():
    sr, fr = 16000, 50
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(8 * sr) / sr)
    audio = np.concatenate([np.zeros(10 * sr), tone, np.zeros(10 * sr)]).astype(np.float32)
    from ddsp_train import features

    power = features.compute_power_db(audio, sample_rate=sr, frame_rate=fr)
    excerpt = pick_excerpt(audio, sample_rate=sr, power_db=power, frame_rate=fr, seconds=8.0)
    assert excerpt.start_secs == 10.0 and len(excerpt.audio) == 8 * sr


def test_a_check_without_a_dataset_renders(problem_report):
    checks, _ = problem_report
    text = render_dataset_report(checks=checks[:1], title="one file")
    assert "one file" in text and "<audio" not in text  # no excerpt given, no player
