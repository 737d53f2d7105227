"""Audio frames and conversions: pure, no I/O beyond the subprocesses that make speech."""

from ringfence.media.frames import FRAME_BYTES, FRAME_MS, SAMPLE_RATE, frames, silence

__all__ = ["FRAME_BYTES", "FRAME_MS", "SAMPLE_RATE", "frames", "silence"]
