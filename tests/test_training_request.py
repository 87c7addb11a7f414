"""ddsp-train's checks before TensorFlow: every argument and path error is refused in a child
process that never imports tensorflow, with one line that names what was given; the model
folder may not be the dataset, inside it, hold it, a foreign folder, under a file or unwritable;
random arguments and paths (hypothesis) never give a traceback and never change the dataset."""
import contextlib
import hashlib
import io
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ddsp_train import cli
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from ddsp_train.train import command
from ddsp_train.training import gin_config, model_dir as model_dir_lib, request

REPO = pathlib.Path(__file__).resolve().parents[1]
CHILD = """
import sys
sys.argv = ['ddsp-train'] + sys.argv[1:]
from ddsp_train import train
try:
    train.main()
except SystemExit as e:
    code = e.code
else:
    code = 0
print('TF_IMPORTED' if 'tensorflow' in sys.modules else 'NO_TF', file=sys.stderr)
sys.exit(code)
"""


def run_child(*args, env=None):
    """Run ddsp-train's main in a child; ``(exit code, stderr lines without the TF marker, tf imported)``."""
    result = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})), timeout=120)
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1] in ("NO_TF", "TF_IMPORTED"), result.stderr
    return result.returncode, lines[:-1], lines[-1] == "TF_IMPORTED"


@pytest.fixture(scope="module")
def dataset(prepared_dataset, tmp_path_factory):
    """A copy of the prepared dataset (the tests hash it)."""
    copy = tmp_path_factory.mktemp("request") / "dataset"
    shutil.copytree(prepared_dataset, copy)
    return copy


def refused_fast(*args, expect, env=None):
    code, lines, tf_imported = run_child(*args, env=env)
    assert code != 0 and not tf_imported, (code, lines)
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in lines[0], lines
    assert expect in lines[0], lines
    return lines[0]


def test_argument_and_path_errors_come_before_tensorflow(dataset, tmp_path):
    model = ["--model-dir", tmp_path / "model"]
    refused_fast("--data", tmp_path / "nonexistent", *model, expect="does not exist")
    (tmp_path / "file").write_text("x")
    refused_fast("--data", tmp_path / "file", *model, expect="is a file, not a dataset folder")
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "take.wav").write_bytes(b"RIFF")
    refused_fast("--data", tmp_path / "recordings", *model, expect="not a prepared dataset")
    good = ["--data", dataset, *model]
    refused_fast(*good, "--steps", "0", expect="--steps must be a whole number >= 1, got 0")
    refused_fast(*good, "--batch-size", "-2", expect="--batch-size must be a whole number >= 1, got -2")
    refused_fast(*good, "--save-every", "0", expect="--save-every")
    refused_fast(*good, "--eval-every", "0", expect="--eval-every")
    refused_fast(*good, "--learning-rate", "0", expect="--learning-rate must be a number > 0")
    refused_fast(*good, "--learning-rate", "nan", expect="--learning-rate must be a number > 0")
    refused_fast(*good, "--seed", "-1", expect="--seed must be a whole number in 0..4294967295")
    refused_fast(*good, "--config", "violin_xl", expect="unknown config 'violin_xl'")
    refused_fast(*good, "--gin-param", "RnnFcDecoder.ch=abc", expect="'abc' is not a value for RnnFcDecoder.ch")
    refused_fast(*good, "--gin-param", "RnnFcDecoder.ch = (64,", expect="unclosed bracket")
    refused_fast(*good, "--gin-param", "RnnFcDecoder.ch", expect="is not a binding")
    refused_fast(*good, "--strategy", "multiworker", expect="needs TF_CONFIG", env={"TF_CONFIG": ""})
    refused_fast(*good, expect="TF_CONFIG is not valid JSON", env={"TF_CONFIG": "{not json"})
    code, lines, tf_imported = run_child(*good, "--steps", "abc")
    assert code == 2 and not tf_imported and any("'abc' is not a valid integer" in line for line in lines)
    assert not (tmp_path / "model").exists()


def test_the_model_folder_must_not_be_the_dataset_nor_foreign(dataset, tmp_path):
    before = tree_hash(dataset)
    data = ["--data", dataset, "--model-dir"]
    refused_fast(*data, dataset, expect="is also an input")
    refused_fast(*data, dataset / "model", expect="lies inside the input folder")
    refused_fast(*data, dataset.parent, expect="holds the input")
    foreign = tmp_path / "my_stuff"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    refused_fast(*data, foreign, expect="is not empty and was not written by ddsp-train")
    (tmp_path / "a_file").write_text("x")
    refused_fast(*data, tmp_path / "a_file", expect="exists and is not a folder")
    refused_fast(*data, tmp_path / "a_file" / "model", expect="is a file, not a folder")
    assert (foreign / "notes.txt").read_text() == "mine" and sorted(os.listdir(foreign)) == ["notes.txt"]
    # Another dataset has a dataset.json too, but not a model folder's copy: training would overwrite it.
    other = tmp_path / "other_dataset"
    shutil.copytree(dataset, other)
    refused_fast(*data, other, expect="is a dataset folder (its dataset.json was written by ddsp-prepare)")
    assert tree_hash(other) == before and tree_hash(dataset) == before


def refused_as(user, args):
    """Run ddsp-train's CLI in a forked child as ``user`` (no exec: the interpreter may be
    unreadable to that user); its exit code and stderr."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only the checks run, then it exits without cleanup
        code = 99
        try:
            os.setuid(user)
            with open(write_end, "w") as stream, contextlib.redirect_stderr(stream):
                try:
                    cli.run(command, args)
                    code = 0
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else 1
        finally:
            os._exit(code)
    os.close(write_end)
    with open(read_end) as stream:
        text = stream.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), text


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a child as another user")
def test_an_unwritable_model_folder_is_refused(dataset):
    root = pathlib.Path(tempfile.mkdtemp(prefix="ddsp-unwritable-", dir="/tmp"))
    locked = root / "locked"
    try:
        data = root / "data"
        data.mkdir()
        DatasetInfo.read(dataset).write(data)  # what the checks read: its description
        locked.mkdir()
        for path in (root, data):
            path.chmod(0o755)
        (data / "dataset.json").chmod(0o644)
        locked.chmod(0o555)
        code, text = refused_as(65534, ["--data", str(data), "--model-dir", str(locked / "model")])
        assert code == 1, text
        lines = text.strip().splitlines()
        assert len(lines) == 1 and "cannot write in" in lines[0] and "permission denied" in lines[0], lines
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o755)
        shutil.rmtree(root)


def test_a_gin_value_error_says_what_binding_what_value_and_what_is_valid():
    with pytest.raises(UserError) as error:
        gin_config.check_binding("RnnFcDecoder.ch=abc")
    message = error.value.message
    assert message.startswith("--gin-param 'RnnFcDecoder.ch=abc': 'abc' is not a value for RnnFcDecoder.ch")
    assert "a quoted string ('L1')" in message and "ast" not in message and "\n" not in message
    with pytest.raises(UserError, match=r"'RnnFcDecoder.ch = \[1, x\]': 'x' is not a value"):
        gin_config.check_binding("RnnFcDecoder.ch = [1, x]")
    for good in ("RnnFcDecoder.ch = 128", "a.b = 'L1'", "a.b = (1, 2)", "a.b = @Foo()", "a.b = %sample_rate",
                 "a.b = -3e-4", "include 'tiny.gin'"):
        gin_config.check_binding(good)


def test_configs_are_recorded_by_name_or_absolute_path(tmp_path, monkeypatch):
    assert request.normalise_config("tiny")[0] == "tiny"
    own = tmp_path / "mine.gin"
    own.write_text("include 'tiny.gin'\n")
    monkeypatch.chdir(tmp_path)
    name, path = request.normalise_config("mine.gin")
    assert name == str(own.resolve()) and path == own.resolve()


def tree_hash(folder):
    digest = hashlib.sha256()
    for path in sorted(pathlib.Path(folder).rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def playground(dataset, tmp_path_factory):
    """Paths of every kind, made once: the hypothesis examples only read them."""
    root = tmp_path_factory.mktemp("playground")
    (root / "file").write_text("x")
    (root / "empty").mkdir()
    (root / "recordings").mkdir()
    (root / "recordings" / "take.wav").write_bytes(b"RIFF")
    (root / "foreign").mkdir()
    (root / "foreign" / "notes.txt").write_text("mine")
    shutil.copytree(dataset, root / "other_dataset")
    data = {"missing": root / "missing", "file": root / "file", "empty": root / "empty",
            "not_dataset": root / "recordings", "dataset": dataset}
    models = {"equal": dataset, "inside": dataset / "sub" / "model", "holds": dataset.parent,
              "foreign": root / "foreign", "under_file": root / "file" / "model", "is_file": root / "file",
              "other_dataset": root / "other_dataset", "new": root / "new_model"}
    return root, data, models


NUMBER = st.one_of(st.integers(-10 ** 12, 10 ** 12).map(str), st.sampled_from(["abc", "1.5", "", "1e3", "-0"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.sampled_from(["missing", "file", "empty", "not_dataset", "dataset"]),
       model=st.sampled_from(["equal", "inside", "holds", "foreign", "under_file", "is_file", "other_dataset",
                              "new"]),
       options=st.lists(st.tuples(st.sampled_from(["--steps", "--batch-size", "--save-every", "--eval-every",
                                                   "--seed", "--learning-rate"]), NUMBER), max_size=3),
       config=st.one_of(st.none(), st.sampled_from(["tiny", "vst", "nope", "../x.gin", ""]), st.text(max_size=8)),
       gin_param=st.one_of(st.none(), st.sampled_from(["RnnFcDecoder.ch=abc", "a.b = (1,", "= 3", "x"]),
                           st.text(max_size=12)))
def test_random_arguments_never_trace_back_nor_touch_the_dataset(playground, dataset, data, model, options,
                                                                 config, gin_param):
    root, datas, models = playground
    before = tree_hash(dataset)
    args = ["--data", str(datas[data]), "--model-dir", str(models[model])]
    for flag, value in options:
        args += [flag, value]
    if config is not None:
        args += ["--config", config]
    if gin_param is not None:
        args += ["--gin-param", gin_param]
    if data == "dataset" and model == "new":
        args += ["--steps", "0"]  # only refusals run here: no training
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_info:
        cli.run(command, args)
    assert exit_info.value.code not in (0, None), err.getvalue()
    text = err.getvalue()
    assert "Traceback" not in text and text.strip(), text
    assert tree_hash(dataset) == before and tree_hash(models["other_dataset"]) == before
    assert not models["new"].exists() and sorted(os.listdir(models["foreign"])) == ["notes.txt"]


def test_recipe_choice(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    chosen = model_dir_lib.choose_recipe(folder, configs=None, gin_params=(), default=("vst",))
    assert chosen == model_dir_lib.Recipe(configs=("vst",))
    model_dir_lib.write_recipe(folder, model_dir_lib.Recipe(configs=("tiny",), gin_params=("A.b = 1",)))
    assert model_dir_lib.choose_recipe(folder, configs=None, gin_params=(), default=("vst",)) == \
        model_dir_lib.Recipe(configs=("tiny",), gin_params=("A.b = 1",))
    # No checkpoint yet: another recipe replaces the recorded one.
    assert model_dir_lib.choose_recipe(folder, configs=["vst"], gin_params=(), default=("vst",)).configs == ("vst",)
    (folder / "checkpoints" / "ckpt-00000001").mkdir(parents=True)
    (folder / "checkpoints" / "ckpt-00000001" / "ckpt.index").write_bytes(b"")
    with pytest.raises(UserError) as error:
        model_dir_lib.choose_recipe(folder, configs=["vst"], gin_params=(), default=("vst",))
    assert "was trained with --config tiny; resume with --config tiny" in error.value.message
    assert "use a new --model-dir" in error.value.message
