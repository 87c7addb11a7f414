"""ddsp-train: turn recordings of one instrument into a real-time DDSP timbre-transfer model."""

__version__ = "0.1.0"
