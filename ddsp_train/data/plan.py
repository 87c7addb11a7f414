"""The job's parameters and its work items: which examples of which recording each item makes.

Examples are windows of ``example_secs`` every ``hop_secs`` from the start of each region (a
whole recording, or one side of a time split); the last one ends at the region's end, so
nothing is dropped or padded. A work item is about :data:`SEGMENT_SECS` of one region's
example starts, so a long file runs in bounded memory and in parallel.
"""
from __future__ import annotations

import dataclasses

from ddsp_train import audio as audio_lib
from ddsp_train import features
from ddsp_train.data.split import Region
from ddsp_train.errors import UserError
from ddsp_train.pitch import check_tracker

#: Audio per Beam work item (examples starting in it), seconds of the output.
SEGMENT_SECS = 60.0


@dataclasses.dataclass(frozen=True)
class Config:
    """The validated parameters every work item needs."""

    sample_rate: int
    frame_rate: float
    example_secs: float
    hop_secs: float
    f0_method: str
    example_samples: int
    hop_samples: int
    frame_hop: int
    progress_dir: str | None = None
    records_dir: str | None = None

    @property
    def example_frames(self) -> int:
        """Frames per example: ``example_samples // frame_hop + 1`` (centred frames)."""
        return self.example_samples // self.frame_hop + 1


@dataclasses.dataclass(frozen=True)
class WorkItem:
    """Examples starting at ``starts`` (output samples) of one region of one recording."""

    file_index: int
    info: audio_lib.AudioInfo
    source: str
    n_samples: int
    region: Region
    starts: tuple[int, ...]
    own_stop: int  # frames centred in [starts[0], own_stop) feed the statistics

    @property
    def own_samples(self) -> int:
        """Output samples this item accounts for: ``own_stop - starts[0]``."""
        return self.own_stop - self.starts[0]


def make_config(*, sample_rate: int, frame_rate: float, example_secs: float, hop_secs: float,
                f0_method: str) -> Config:
    """Check the numeric options together; UserError saying what was given and what fits."""
    if int(sample_rate) != sample_rate or sample_rate < 8000:
        raise UserError(f"--sample-rate must be a whole number of Hz >= 8000, got {sample_rate}")
    if not frame_rate > 0 or frame_rate != int(frame_rate):
        raise UserError(f"--frame-rate must be a whole number of frames per second (the models run on one), "
                        f"got {frame_rate:g}")
    frame_hop = features.hop_size(sample_rate=int(sample_rate), frame_rate=frame_rate)
    for name, secs in (("--example-secs", example_secs), ("--hop-secs", hop_secs)):
        if not secs > 0:
            raise UserError(f"{name} must be positive, got {secs}")
        frames = secs * frame_rate
        if abs(frames - round(frames)) > 1e-6:
            raise UserError(f"{name} {secs:g} must be a whole number of frames at --frame-rate "
                            f"{frame_rate:g} (a multiple of {1 / frame_rate:g} s)")
    check_tracker(f0_method)  # UserError naming the choices (without loading a model here)
    return Config(sample_rate=int(sample_rate), frame_rate=float(frame_rate), example_secs=float(example_secs),
                  hop_secs=float(hop_secs), f0_method=f0_method,
                  example_samples=int(round(example_secs * frame_rate)) * frame_hop,
                  hop_samples=int(round(hop_secs * frame_rate)) * frame_hop, frame_hop=frame_hop)


def example_starts(region: Region, *, example_samples: int, hop_samples: int) -> list[int]:
    """Window starts in ``region``: every ``hop`` from its start, plus one ending at its end."""
    if region.stop - region.start < example_samples:
        return []
    starts = list(range(region.start, region.stop - example_samples + 1, hop_samples))
    if starts[-1] + example_samples < region.stop:
        starts.append(region.stop - example_samples)
    return starts


def output_samples(info: audio_lib.AudioInfo, *, config: Config) -> int:
    """The recording's length at the output rate."""
    return audio_lib.output_length(info.frames, rate_in=info.sample_rate, rate_out=config.sample_rate)


def plan_items(file_index: int, info: audio_lib.AudioInfo, source: str, regions: list[Region], *,
               config: Config, segment_secs: float = SEGMENT_SECS) -> list[WorkItem]:
    """Cut each region's examples into work items of about ``segment_secs``."""
    n = output_samples(info, config=config)
    per_item = max(1, int(round(segment_secs / config.hop_secs)))
    items = []
    for region in regions:
        starts = example_starts(region, example_samples=config.example_samples, hop_samples=config.hop_samples)
        for i in range(0, len(starts), per_item):
            chunk = tuple(starts[i:i + per_item])
            own_stop = starts[i + per_item] if i + per_item < len(starts) else region.stop
            items.append(WorkItem(file_index=file_index, info=info, source=source, n_samples=n,
                                  region=region, starts=chunk, own_stop=own_stop))
    return items
