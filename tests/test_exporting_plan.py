"""ddsp-export refuses bad arguments and paths before TensorFlow is imported, in one line, and never
changes the model folder (ddsp_train.exporting.plan); a property-based test of the parser and paths."""
import hashlib
import os
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from ddsp_train.exporting import metadata, plan
from export_support import export_main_without_tensorflow, run_in_process

STATS = {"mean_min_pitch_note": 55.0, "mean_max_pitch_note": 79.0, "mean_min_pitch_note_hz": 196.0,
         "mean_max_pitch_note_hz": 784.0, "mean_min_power_note": -40.0, "mean_max_power_note": -12.0}


def make_dataset(folder: pathlib.Path) -> pathlib.Path:
    folder.mkdir(parents=True, exist_ok=True)
    DatasetInfo(sample_rate=16000, frame_rate=50, example_secs=2.0, statistics=STATS).write(folder)
    return folder


def make_model_dir(folder: pathlib.Path, *, dataset: pathlib.Path) -> pathlib.Path:
    """A model folder as ddsp-train lays it out (operative config, dataset copy, a step-3 checkpoint);
    the files hold no real model: every test here stops before anything would read them."""
    ckpt = folder / "checkpoints" / "ckpt-3"
    ckpt.mkdir(parents=True)
    (ckpt / "ckpt.index").write_bytes(b"index")
    (ckpt / "ckpt.data-00000-of-00001").write_bytes(os.urandom(64))
    (folder / "operative_config.gin").write_text("# trained\n")
    DatasetInfo(sample_rate=16000, frame_rate=50, example_secs=2.0, statistics=STATS,
                data_dir=str(dataset)).write(folder)
    return folder


def tree_hash(folder: pathlib.Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def dirs(tmp_path):
    dataset = make_dataset(tmp_path / "data")
    return make_model_dir(tmp_path / "model", dataset=dataset), dataset


def refuse(args, *, as_nobody: bool = False) -> tuple[int, str]:
    """ddsp-export's main in a child process that asserts TensorFlow was never imported."""
    proc = export_main_without_tensorflow(*args, as_nobody=as_nobody)
    assert proc.stdout == "", proc.stdout
    return proc.returncode, proc.stderr


def test_refusals_come_before_tensorflow_in_one_line(dirs, tmp_path):
    model, dataset = dirs
    (tmp_path / "file").write_text("x")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep")
    cases = [
        ([tmp_path / "missing"], "model folder", "does not exist"),
        ([dataset], f"{dataset} is a dataset folder written by ddsp-prepare; give the --model-dir of ddsp-train", ""),
        ([model, "--format", "onnx"], "--format got onnx; allowed", ""),
        ([model, "--checkpoint", "7"], f"no checkpoint of step 7 in {model}; available steps: 3", ""),
        ([model, "--output", tmp_path / "file" / "out"], "is a file, not a folder", ""),
        ([model, "--output", model], "is the model folder", ""),
        ([model, "--output", tmp_path], "a folder holding the model folder", ""),
        ([model, "--output", model / "checkpoints"], "lies in the model's checkpoints folder", ""),
        ([model, "--output", model / "checkpoints" / "new"], "lies in the model's checkpoints folder", ""),
        ([model, "--output", dataset / "export"], "lies inside the input folder", ""),
        ([model, "--output", foreign], "holds no export.json of ddsp-export", ""),
        ([model, "--data", tmp_path], "is not a prepared dataset", ""),
        ([model, "--name", "../up"], "must be a plain file name", ""),
        ([model, "--install", "--plugin-dir", tmp_path / "file"], "is a file, not a folder", ""),
        ([model, "--install", "--plugin-dir", tmp_path / "plugin", "--output", tmp_path / "plugin" / "x"],
         "lies in the plugin's model folder", "use --install"),
    ]
    before = tree_hash(model)
    for args, first, second in cases:
        code, stderr = refuse(args)
        assert code in (1, 2) and stderr.startswith("Error: ") and len(stderr.strip().splitlines()) == 1, (args, stderr)
        assert first in stderr and second in stderr, (args, stderr)
    assert tree_hash(model) == before and (foreign / "mine.txt").read_text() == "keep"
    assert sorted(p.name for p in foreign.iterdir()) == ["mine.txt"]


@pytest.fixture
def open_tmp():
    """A scratch folder every user may enter (pytest's own base folder is private to root)."""
    import shutil
    import tempfile

    folder = pathlib.Path(tempfile.mkdtemp(prefix="ddsp-export-test-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    for path in folder.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(folder, ignore_errors=True)


def test_unwritable_output_and_plugin_folder_are_refused_up_front(open_tmp):
    dataset = make_dataset(open_tmp / "data")
    model = make_model_dir(open_tmp / "model", dataset=dataset)
    locked = open_tmp / "locked"
    locked.mkdir()
    locked.chmod(0o555)  # nobody may read the model folder but not write into it
    code, stderr = refuse([model, "--output", locked / "out"], as_nobody=True)
    assert code == 1 and stderr.startswith(f"Error: --output {locked / 'out'}: cannot write in {locked} "
                                           "(permission denied)"), stderr
    writable = open_tmp / "open"
    writable.mkdir()
    writable.chmod(0o777)
    code, stderr = refuse([model, "--output", writable / "out", "--install", "--plugin-dir", locked / "models"],
                          as_nobody=True)
    assert code == 1 and "--plugin-dir" in stderr and "permission denied" in stderr, stderr


def test_a_model_folder_that_cannot_be_read_is_one_line(open_tmp):
    private = open_tmp / "private"
    private.mkdir()
    model = make_model_dir(private / "model", dataset=make_dataset(private / "data"))
    private.chmod(0o700)
    code, stderr = refuse([model], as_nobody=True)
    assert code == 1 and stderr == f"Error: model folder {model} cannot be read (permission denied)\n", stderr


def test_install_replaces_only_a_file_that_ddsp_export_wrote(dirs, tmp_path):
    model, _ = dirs
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    theirs = plugin / "model.tflite"  # the default --name is the model folder's name
    theirs.write_bytes(metadata.append_metadata(b"\0\0\0\0TFL3" + bytes(8), {"version": "someone else's 1.0"}))
    code, stderr = refuse([model, "--install", "--plugin-dir", plugin])
    assert code == 2 and stderr.startswith(f"Error: --install: {theirs} exists and was not written by ddsp-export; "
                                           "pass --overwrite"), stderr
    kwargs = dict(output_dir=None, name=None, checkpoint=None, formats="tflite", install=True, plugin_dir=plugin,
                  data_dir=None)
    assert plan.plan_export(model, overwrite=True, **kwargs).install_target == theirs
    theirs.write_bytes(metadata.append_metadata(b"\0\0\0\0TFL3" + bytes(8), {"version": "ddsp-train 0.0.9"}))
    assert plan.plan_export(model, overwrite=False, **kwargs).install_target == theirs  # an earlier export of ours
    (plugin / "model.tflite").unlink()
    (plugin / "model.tflite").mkdir()
    with pytest.raises(UserError, match="is a folder; nothing is replaced"):
        plan.plan_export(model, overwrite=True, **kwargs)


def test_the_default_output_and_the_recorded_dataset(dirs):
    model, dataset = dirs
    planned = plan.plan_export(model, output_dir=None, name=None, checkpoint=3, formats="tflite,saved_model",
                               install=False, plugin_dir=None, data_dir=None, overwrite=False)
    assert planned.output_dir == model / "export" and planned.name == "model" and planned.steps == (3,)
    assert planned.data_dir == dataset and planned.formats == ("tflite", "saved_model")


# ------------------------------------------------------------------------------------ property
OPTION_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def export_args(draw, root: pathlib.Path):
    model, dataset = root / "model", root / "data"
    places = [model, model / "checkpoints", model / "checkpoints" / "ckpt-3", model / "export", model / "x" / "y",
              dataset, dataset / "inside", root, root / "new", root / "file", root / "file" / "below",
              root / "locked", root / "locked" / "out", pathlib.Path("/proc/version"), pathlib.Path("")]
    path = st.sampled_from(places).map(str) | OPTION_TEXT
    args = [draw(st.sampled_from([str(model), str(dataset), str(root / "missing"), str(root / "file")])
                 | OPTION_TEXT)]
    for option, values in (("--output", path), ("--plugin-dir", path), ("--name", OPTION_TEXT),
                           ("--format", st.sampled_from(["tflite", "saved_model,features", "onnx", ",", ""])
                            | OPTION_TEXT),
                           ("--data", path)):
        if draw(st.booleans()):
            args += [option, draw(values)]
    for flag in ("--install", "--overwrite", "--quantize"):
        if draw(st.booleans()):
            args.append(flag)
    # Only refusal paths: the folder holds step 3, so every other step is refused after the paths.
    args += ["--checkpoint", str(draw(st.integers(-3, 10 ** 9).filter(lambda n: n != 3)))]
    return args


@pytest.fixture(scope="module")
def property_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("property")
    make_model_dir(root / "model", dataset=make_dataset(root / "data"))
    (root / "file").write_text("a file")
    (root / "locked").mkdir()
    (root / "locked").chmod(0o555)
    return root


def test_random_arguments_never_crash_nor_touch_the_model(property_root, monkeypatch):
    from ddsp_train.export import command

    root = property_root
    monkeypatch.setenv("HOME", str(root / "home"))  # --install without --plugin-dir probes ~/Documents/...
    before = tree_hash(root / "model")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(export_args(root))
    def check(args):
        code, stdout, stderr = run_in_process(command, *args)
        assert code in (1, 2), (args, code, stdout, stderr)
        assert "Traceback" not in stderr and stdout == "", (args, stderr)
        assert stderr.startswith(("Error: ", "Usage: ")), (args, stderr)
        assert tree_hash(root / "model") == before, args

    check()
    assert sorted(p.name for p in root.iterdir()) == ["data", "file", "locked", "model"]
