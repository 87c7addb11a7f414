"""Helpers for the model tests: a recipe built by gin, a small Autoencoder built by hand, ddsp's
exp_sigmoid written independently."""
import numpy as np

from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.training import gin_config

INFO_16K = DatasetInfo(sample_rate=16000, frame_rate=50, example_secs=1.0, f0_method="yin")


def exp_sigmoid_np(x):
    """ddsp's exp_sigmoid, written independently: 2 * sigmoid(x) ** ln(10) + 1e-7."""
    return 2.0 * (1.0 / (1.0 + np.exp(-x))) ** np.log(10.0) + 1e-7


def build(config, info=INFO_16K, bindings=(), create_weights=True):
    """The packaged recipe ``config`` built by gin for ``info``."""
    gin_config.parse(config_files=[gin_config.resolve_config(config)], bindings=list(bindings), dataset_info=info)
    return gin_config.build_model(dataset_info=info, create_weights=create_weights)


def harmonic_autoencoder(*, n_samples=8000, sample_rate=16000, frame_rate=50, harmonics=8, encoder=None,
                         input_keys=("pw_scaled", "f0_scaled"), losses=None):
    """A small Autoencoder without gin: preprocessor, a 16-unit decoder, one Harmonic synth (no
    noise, so its output is deterministic) and a spectral loss."""
    from ddsp_train.dsp.losses import SpectralLoss
    from ddsp_train.dsp.processors import ProcessorGroup
    from ddsp_train.dsp.synths import Harmonic
    from ddsp_train.models.autoencoder import Autoencoder
    from ddsp_train.models.decoders import RnnFcDecoder
    from ddsp_train.models.preprocessor import F0PowerPreprocessor

    decoder = RnnFcDecoder(rnn_channels=16, ch=16, layers_per_stack=1, input_keys=input_keys,
                           output_splits=(("amps", 1), ("harmonic_distribution", harmonics)))
    group = ProcessorGroup([(Harmonic(n_samples=n_samples, sample_rate=sample_rate),
                             ["amps", "harmonic_distribution", "f0_hz"])])
    return Autoencoder(preprocessor=F0PowerPreprocessor(), encoder=encoder, decoder=decoder, processor_group=group,
                       losses=losses if losses is not None else [SpectralLoss(fft_sizes=(256, 64))],
                       sample_rate=sample_rate, frame_rate=frame_rate, n_samples=n_samples)
