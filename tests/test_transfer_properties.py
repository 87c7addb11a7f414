"""Property-based: whatever the options and output path, ddsp-transfer gives a result or one
clear error line, never a traceback, and never changes the input, the model or (without
--overwrite) an existing file. Refusals run in-process; valid combinations really render a 0.5 s
input through the tiny trained model."""
import hashlib
import pathlib
import shutil
import tempfile

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from export_support import run_in_process, trained_vst_export
from ddsp_train.transfer import command as transfer_command

#: Output kinds; "new" three times so that real renders are frequent.
OUTPUTS = ["new", "new", "new", "nested_new", "existing", "under_file", "is_input", "is_model", "folder",
           "bad_suffix", "inside_saved_model"]


@pytest.fixture(scope="module")
def material(tmp_path_factory, request):
    vst = trained_vst_export(tmp_path_factory, request)
    root = tmp_path_factory.mktemp("properties")
    model = root / "Tiny.tflite"
    shutil.copy(vst["tflite"], model)
    take = root / "take.wav"
    t = np.arange(11025) / 22050
    sf.write(take, 0.3 * np.sin(2 * np.pi * 330 * t), 22050, subtype="PCM_16")
    song = root / "song.mid"
    import mido

    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(mido.MidiTrack([mido.Message("note_on", note=64, velocity=90, time=0),
                                       mido.Message("note_off", note=64, velocity=0, time=240)]))
    midi.save(song)
    # A copy of its own: other tests re-export the shared fixture's SavedModel while this one watches it.
    saved_model = root / "tinyvst.saved_model"
    shutil.copytree(vst["saved_model"], saved_model)
    return {"model": model, "take": take, "song": song, "saved_model": saved_model, "root": root}


def digest(path: pathlib.Path) -> str:
    if path.is_dir():
        return "".join(digest(p) for p in sorted(path.rglob("*")) if p.is_file())
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: Mostly usable values (so that real renders happen), then anything a float can be.
numbers = st.one_of(st.sampled_from([0.0, 3.0, -12.0, 12.5]), st.floats(-48, 48),
                    st.floats(allow_nan=True, allow_infinity=True)).map(repr)
options = st.fixed_dictionaries({
    "--pitch-shift": st.one_of(st.none(), numbers),
    "--gain-db": st.one_of(st.none(), numbers, st.just("loud")),
    "--sample-rate": st.one_of(st.none(), st.none(), st.sampled_from(["8000", "22050", "100", "999999", "x"])),
    "--f0-method": st.one_of(st.none(), st.sampled_from(["yin", "bogus"])),
}, optional={"--normalize": st.just(True), "--overwrite": st.just(True), "--no-reverb": st.just(True),
             "--no-auto-adjust": st.just(True), "--midi-as-option": st.just(True)})


RENDERED, RAN = [], []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(opts=options, output=st.sampled_from(OUTPUTS), source=st.sampled_from(["audio", "midi", "missing"]))
def test_no_traceback_and_nothing_of_the_user_changes(material, opts, output, source):
    work = pathlib.Path(tempfile.mkdtemp(dir=material["root"]))
    existing = work / "existing.wav"
    existing.write_bytes(b"an earlier take")
    (work / "notes.txt").write_text("a file")
    out = {"new": work / "out.wav", "existing": existing, "nested_new": work / "a" / "b" / "out.flac",
           "under_file": work / "notes.txt" / "out.wav", "is_input": None, "is_model": material["model"],
           "folder": work, "bad_suffix": work / "out.mp3",
           "inside_saved_model": material["saved_model"] / "out.wav"}[output]
    src = {"audio": material["take"], "midi": material["song"], "missing": work / "missing.wav"}[source]
    out = src if out is None else out
    # Writing into a SavedModel folder is refused only when that SavedModel is the model played.
    args = [str(material["saved_model"] if output == "inside_saved_model" else material["model"])]
    args += ["--midi", str(src)] if opts.pop("--midi-as-option", False) else [str(src)]
    args += ["--output", str(out)]
    for flag, value in opts.items():
        if value is True:
            args.append(flag)
        elif value is not None:
            args += [flag, value]
    watched = [material["model"], material["take"], material["song"], existing, material["saved_model"]]
    before = {p: digest(p) for p in watched}
    code, stdout, stderr = run_in_process(transfer_command, *args)
    RAN.append(code)
    assert "Traceback" not in stderr and code in (0, 1, 2), (args, code, stderr)
    if code == 0:
        assert stdout.startswith("Wrote ") and sf.info(str(out)).frames > 0
        RENDERED.append(args)
    else:
        assert stderr.strip().splitlines()[-1].startswith("Error:"), (args, stderr)
    for p in watched:
        if p == existing and out == existing and code == 0:
            assert "--overwrite" in args  # replaced only when asked
            continue
        assert digest(p) == before[p], (args, p)
    shutil.rmtree(work, ignore_errors=True)


def test_the_property_run_rendered_some_files():
    """The property above ran real renders too, not only refusals (it runs first, in file order)."""
    if not RAN:
        pytest.skip("counts the renders of test_no_traceback_and_nothing_of_the_user_changes: run the file")
    assert len(RENDERED) >= 2, RENDERED
