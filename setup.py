"""ddsp-train: recordings of one instrument -> a real-time DDSP timbre-transfer model."""
import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "ddsp_train" / "__init__.py").read_text()).group(1)

setup(
    name="ddsp-train",
    version=VERSION,
    description="Prepare, train and export DDSP timbre-transfer models for the DDSP-VST plugin.",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    # The gin recipes live in the top-level configs/ folder and ship as ddsp_train.configs.
    packages=find_packages(include=["ddsp_train", "ddsp_train.*"]) + ["ddsp_train.configs"],
    package_dir={"ddsp_train.configs": "configs"},
    package_data={"ddsp_train.configs": ["*.gin"], "ddsp_train.pitch": ["weights/*"],
                  "ddsp_train.match": ["weights/*"], "ddsp_train.base_models": ["*.npz", "*.json"]},
    include_package_data=True,
    install_requires=[
        # 2.21 is the line this is built and tested on; Keras 3 comes with it.
        "tensorflow>=2.21,<2.22",
        # tf.summary's scalar/audio/image writers (ddsp-train's logs) live in the tensorboard package.
        "tensorboard>=2.21,<2.22",
        # [tfrecord] brings crcmod, the CRC-32C of our TFRecord writer (data/examples.py).
        "apache-beam[tfrecord]>=2.60",
        "librosa>=0.10",
        "soundfile>=0.12",
        "soxr>=0.3",
        "click>=8.1",
        "gin-config>=0.5",
        "numpy>=1.26",
        "matplotlib>=3.7",
        "mido>=1.3",
        # The builtin-ops-only interpreter the plugin uses, for the export self-check.
        "ai-edge-litert>=1.0",
    ],
    extras_require={
        # dask.distributed: the suite runs ddsp-prepare on Beam's Dask runner (a local cluster).
        "test": ["pytest>=8", "pytest-xdist>=3", "hypothesis>=6", "dask[distributed]"],
        "cluster": ["dask[distributed]"],
    },
    entry_points={
        "console_scripts": [
            "ddsp-prepare=ddsp_train.prepare:main",
            "ddsp-train=ddsp_train.train:main",
            "ddsp-export=ddsp_train.export:main",
            "ddsp-transfer=ddsp_train.transfer:main",
            "ddsp-match=ddsp_train.match.cli:main",
        ]
    },
)
