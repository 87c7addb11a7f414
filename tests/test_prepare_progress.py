"""What ddsp-prepare tells the user while and after it runs: a progress line that advances as
work items finish (with an ETA), and notes about too little audio or an eval share far from
--eval-fraction."""
import re
import shutil

import soundfile as sf

from ddsp_train import synthetic
from ddsp_train.data import beam_job, examples as ex_lib
from ddsp_train.data.pipeline import prepare_dataset
from prepare_support import run_cli


def test_progress_advances_with_an_eta_on_a_real_run(prepared_audio_dir, tmp_path, monkeypatch):
    """Three 12 s files, one work item each, in-process: the line passes 12 and 24 of 36 s
    before the end (the old counter stayed at 0/N files until the job was over)."""
    monkeypatch.setattr(beam_job, "POLL_SECS", 0.01)
    monkeypatch.setattr(beam_job, "PROGRESS_EVERY", 0.0)
    said = []
    prepare_dataset([str(prepared_audio_dir)], output=str(tmp_path / "ds"), example_secs=2.0, f0_method="yin",
                    workers=1, say=said.append)
    lines = [line for line in said if line.startswith("Features")]
    pattern = re.compile(r"^Features \((\d)/3 files\)  (\d+)/36 s of audio +(\d+)%  (ETA (\d+ s|\?)|in \d+ s)$")
    assert lines and all(pattern.match(line) for line in lines), lines
    done = [int(pattern.match(line).group(2)) for line in lines]
    assert done == sorted(done) and done[-1] == 36 and lines[-1].split("  ")[-1].startswith("in ")
    middle = [line for line, d in zip(lines, done) if 0 < d < 36]
    assert middle and all(re.search(r"ETA \d+ s$", line) for line in middle), lines
    files = [int(pattern.match(line).group(1)) for line in middle]
    assert min(files) >= 1 and set(files) <= {1, 2}


def test_a_single_short_recording_goes_to_train_with_a_note(tmp_path, capsys):
    """8 s, --eval-fraction 0.1, 4 s examples: README's rule (eval gets the last 10 %, too short for
    an example -> all train), said in a note (the old code put 50 % in eval silently)."""
    folder = tmp_path / "one"
    folder.mkdir()
    sf.write(folder / "take.wav", synthetic.demo_phrase(seconds=8, seed=3).audio, 16000)
    out = tmp_path / "ds"
    assert run_cli([folder, "-o", out, "--eval-fraction", 0.1, "--f0-method", "yin", "--workers", 1]) == 0
    err = capsys.readouterr().err
    assert "Note: the only recording is too short to hold out --eval-fraction 0.1" in err
    assert "ddsp-train will evaluate on training examples" in err
    assert "Note: only 0.1 min of usable audio" in err and 'README.md, "What audio, and how much"' in err
    assert len(list(ex_lib.iter_examples(str(out), "eval"))) == 0
    assert len(list(ex_lib.iter_examples(str(out), "train"))) == 5  # starts 0..4 s


def test_no_split_note_when_eval_is_near_the_fraction(prepared_audio_dir, tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(sorted(prepared_audio_dir.glob("*.wav"))[0], one / "only.wav")
    said = []
    prepare_dataset([str(one)], output=str(tmp_path / "ds"), example_secs=2.0, eval_fraction=0.25,
                    f0_method="yin", workers=1, say=said.append)
    notes = [line for line in said if line.startswith("Note:")]
    assert len(notes) == 1 and notes[0].startswith("Note: only 0.2 min of usable audio"), notes
