"""pitch/decoding.py: the bin grid, CREPE's local average and Viterbi over the network's activations."""
import numpy as np

from ddsp_train.pitch import network


def cents(a, b):
    return 1200 * np.log2(np.asarray(a, np.float64) / np.asarray(b, np.float64))


def test_local_average_recovers_a_fractional_peak():
    p = np.arange(network.N_BINS)
    true_bins = np.array([10.3, 100.0, 200.75, 355.5])
    act = np.exp(-0.5 * ((p[None, :] - true_bins[:, None]) / 1.25) ** 2) * 0.9
    f0, conf = network.local_average_f0(act.astype(np.float32))
    expected = network.F_MIN * 2 ** (true_bins / network.BINS_PER_OCTAVE)
    np.testing.assert_allclose(cents(f0, expected), 0, atol=0.5)
    np.testing.assert_allclose(conf, act.max(1), rtol=1e-6)


def test_viterbi_removes_a_single_octave_jump():
    p = np.arange(network.N_BINS)
    path = np.full(20, 150.0)
    peaks = path.copy()
    peaks[10] = 210.0  # one frame an octave up, slightly stronger than its true bin
    act = 0.9 * np.exp(-0.5 * ((p[None, :] - peaks[:, None]) / 1.25) ** 2)
    act[10] += 0.6 * np.exp(-0.5 * ((p - 150.0) / 1.25) ** 2)
    assert np.argmax(act[10]) == 210
    np.testing.assert_array_equal(network.viterbi_path(act), np.full(20, 150))
