"""report.png of a prepared dataset (data/report.py): a PNG of the expected size whose panels show
the data (the voiced histograms and the pitch line vanish when no frame counts as voiced)."""
import shutil

import numpy as np
import pytest

from ddsp_train.data import report
from ddsp_train.dataset_info import DatasetInfo


def pixels(path):
    import matplotlib.image

    return (matplotlib.image.imread(path, format="png")[..., :3] * 255).round()


def share(image, rgb, tol=20):
    return float(np.mean(np.all(np.abs(image - np.array(rgb)) <= tol, axis=-1)))


TAB_BLUE, ORANGE_ON_GREY, CYAN, LIME = (31, 119, 180), (229, 131, 51), (0, 255, 255), (0, 255, 0)


@pytest.fixture(scope="module")
def dataset(prepared_dataset, tmp_path_factory):
    """A copy of the shared prepared dataset (the report is written into the dataset folder)."""
    copy = tmp_path_factory.mktemp("report") / "dataset"
    shutil.copytree(prepared_dataset, copy)
    return str(copy), DatasetInfo.read(str(copy)).to_dict()


def test_report_png_of_a_prepared_dataset(dataset):
    data_dir, summary = dataset
    path = report.write_report(data_dir, summary, filename="again.png")
    assert path.endswith("again.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    image = pixels(path)
    assert image.shape[:2] == (640, 960)  # 12 x 8 inches at 80 dpi
    top, bottom = image[:250], image[300:]
    left, right = top[:, :480], top[:, 480:]
    assert share(left, TAB_BLUE) > 0.01  # the f0 histogram of the voiced frames
    assert share(right, (178, 178, 178), tol=3) > 0.005  # power of all frames (grey)
    assert share(right, ORANGE_ON_GREY, tol=40) > 0.005  # ... and of the voiced ones (orange)
    assert share(bottom, CYAN, tol=60) > 0.001 and share(bottom, LIME, tol=60) > 0.001  # f0 and power lines


def test_nothing_voiced_leaves_the_voiced_panels_empty(dataset):
    data_dir, summary = dataset
    normal = pixels(report.write_report(data_dir, summary, filename="normal.png"))
    strict = {**summary, "statistics": {**summary["statistics"], "voiced_threshold": 1.01}}
    image = pixels(report.write_report(data_dir, strict, filename="strict.png"))
    top, bottom, normal_top, normal_bottom = image[:250], image[300:], normal[:250], normal[300:]
    assert share(top[:, :480], TAB_BLUE) == 0 < share(normal_top[:, :480], TAB_BLUE)
    # The voiced power histogram is gone (the legend's orange patch stays); all frames are still drawn.
    assert share(top[:, 480:], ORANGE_ON_GREY, tol=40) < 0.1 * share(normal_top[:, 480:], ORANGE_ON_GREY, tol=40)
    assert share(top[:, 480:], (178, 178, 178), tol=3) > share(normal_top[:, 480:], (178, 178, 178), tol=3)
    # The pitch line is gone (only the legend's sample remains); the power line stays.
    assert share(bottom, CYAN, tol=60) < 0.2 * share(normal_bottom, CYAN, tol=60)
    assert share(bottom, LIME, tol=60) > 0.001
