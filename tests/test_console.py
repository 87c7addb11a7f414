"""ddsp_train.console: durations, speeds and a progress line with an ETA."""
import io
import math

from ddsp_train import console


def test_durations_read_naturally():
    assert console.format_duration(42.4) == "42 s"
    assert console.format_duration(185) == "3 min 05 s"
    assert console.format_duration(2 * 3600 + 7 * 60 + 30) == "2 h 07 min"
    assert console.format_duration(math.inf) == "?"


def test_speed_never_reads_zero_times_real_time():
    assert console.format_speed(60.0, 2.0) == "30.0x real time"
    assert console.format_speed(1.0, 40.0) == "0.025x real time"
    assert console.format_speed(0.0, 0.0) == "too short to time"
    assert "0.0x" not in console.format_speed(0.5, 30.0)


def test_eta_is_the_average_rate_so_far():
    assert console.eta_seconds(done=1, total=4, elapsed=10) == 30
    assert console.eta_seconds(done=0, total=4, elapsed=10) == math.inf
    assert console.eta_seconds(done=4, total=4, elapsed=10) == 0


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_progress_lines_count_up_with_an_eta_off_a_terminal():
    stream, clock = io.StringIO(), _Clock()
    progress = console.Progress(label="prepare", total=4, unit="files", stream=stream, every=5.0, clock=clock)
    clock.t = 10.0
    progress.update(1)
    clock.t = 12.0
    progress.update(2)  # within `every` of the last line: not printed
    clock.t = 20.0
    progress.update(2)
    progress.close(4)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "prepare  1/4 files   25%  ETA 30 s"
    assert lines[1] == "prepare  2/4 files   50%  ETA 20 s"
    assert lines[2] == "prepare  4/4 files  100%  in 20 s"
    assert len(lines) == 3


def test_disabled_progress_prints_nothing():
    stream = io.StringIO()
    progress = console.Progress(label="x", total=2, stream=stream, enabled=False)
    progress.update(1, force=True)
    progress.close(2)
    assert stream.getvalue() == ""
