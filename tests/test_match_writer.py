"""The writer: output checks before any work, the spectrogram PNG, the wav bytes."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from ddsp_train.errors import UserError
from ddsp_train.match import writer


def test_existing_files_need_overwrite_and_inputs_are_never_outputs(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"x")
    with pytest.raises(UserError, match="exists; pass --overwrite"):
        writer.check_outputs(tmp_path, "a", kinds=writer.KINDS, overwrite=False, inputs=[])
    out = writer.check_outputs(tmp_path, "a", kinds=writer.KINDS, overwrite=True, inputs=[])
    assert out["tflite"] == tmp_path / "a.tflite"
    with pytest.raises(UserError):  # the target itself would be overwritten
        writer.check_outputs(tmp_path, "a", kinds=writer.KINDS, overwrite=True, inputs=[tmp_path / "a.wav"])


def test_output_that_is_a_file_or_a_bad_name(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(UserError, match="is a file; give a folder"):
        writer.check_outputs(tmp_path / "f", "a", kinds=writer.KINDS, overwrite=False, inputs=[])
    for name in ("", "a/b", " x", ".."):
        with pytest.raises(UserError, match="plain file name"):
            writer.check_name(name)


def test_unwritable_folder_is_refused_for_another_user(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    tmp_path.chmod(0o755)
    code = ("import sys; from ddsp_train.errors import UserError; from ddsp_train.match import writer\n"
            f"try:\n    writer.check_outputs({str(folder)!r}, 'a', kinds=writer.KINDS, overwrite=False, inputs=[])\n"
            "except UserError as e:\n    print(e.message)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root, HOME="/tmp", TMPDIR="/tmp")
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                              preexec_fn=lambda: os.setuid(65534))
    except PermissionError as e:
        reason = f"user 65534 cannot run {sys.executable} ({e.strerror}): the unwritable-folder check is not tested here"
        print(reason)
        pytest.skip(reason)
    if "No module named" in proc.stderr or "Permission denied" in proc.stderr:
        reason = f"user 65534 cannot import the worktree's code: {proc.stderr.strip().splitlines()[-1]}"
        print(reason)
        pytest.skip(reason)
    assert "cannot write" in proc.stdout and "permission denied" in proc.stdout, proc.stdout + proc.stderr


def test_png_and_wav_bytes(tmp_path):
    t = np.arange(16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    png = writer.spectrogram_png(tone, 0.5 * tone, title="x")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000
    audio, rate = sf.read(io.BytesIO(writer.wav_bytes(tone, 44100)), dtype="float32")
    assert rate == 44100 and np.array_equal(audio, tone)
    written = writer.write_outputs(writer.output_paths(tmp_path / "new", "n"), wav=(tone, 16000), png=png)
    assert [p.name for p in written] == ["n.wav", "n.png"] and not list((tmp_path / "new").glob(".*"))
