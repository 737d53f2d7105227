"""Talking to an agent from its page: the browser's microphone over WebRTC, the agent's voice
back, the same pipeline as on a phone call.

The telephony ``Bridge`` joins a browser to a ``Call``; here the call has no SIP leg: a 20 ms
pacer moves the browser's audio (what the bridge plays into the call) to the agent, and the
agent's audio (one frame per tick, silence between) to the browser as what the call "hears".
Nothing is recorded or stored: it is a member trying their agent, and the transcript lives only
as long as the session, for the page to show.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from ringfence.clock import Clock
from ringfence.errors import NotFound, ServiceUnavailable
from ringfence.media.frames import FRAME_MS, frames, silence
from ringfence.services.agents.components import components, speaker_for
from ringfence.services.agents.conversation import Conversation
from ringfence.services.agents.voice import VoiceSession
from ringfence.settings import Settings
from ringfence.telephony.calls import Call, CallEvent
from ringfence.telephony.webrtc import Bridge

TICK = FRAME_MS / 1000
MAX_SESSIONS = 4  # per process: each runs recognition and synthesis on these cores


class BrowserLine:
    """The agent's side of a browser call (the ``Line`` the pipeline talks on)."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self._heard: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._outgoing: deque[bytes] = deque()
        self._drained = asyncio.Event()
        self._drained.set()

    async def audio(self) -> AsyncIterator[bytes]:
        while (frame := await self._heard.get()) is not None:
            yield frame

    def play(self, pcm: bytes) -> None:
        self._outgoing.extend(frames(pcm))
        if self._outgoing:
            self._drained.clear()

    def take_queued(self) -> bytes:
        taken = b"".join(self._outgoing)
        self._outgoing.clear()
        self._drained.set()
        return taken

    @property
    def queued_frames(self) -> int:
        return len(self._outgoing)

    async def played(self) -> None:
        await self._drained.wait()

    async def hangup(self) -> None:
        if not self.call.ended:
            self.call.emit(CallEvent("ended", self.call.started_at))
        self._heard.put_nowait(None)

    async def pace(self) -> None:
        """Every 20 ms: a frame of the browser's audio to the agent, one of the agent's back."""
        loop = asyncio.get_running_loop()
        start, n = loop.time(), 0
        while not self.call.ended:
            n += 1
            await asyncio.sleep(max(0.0, start + n * TICK - loop.time()))
            self._heard.put_nowait(self.call.next_frame())
            out = self._outgoing.popleft() if self._outgoing else silence()
            if not self._outgoing:
                self._drained.set()
            self.call.receive_frame(out)
        self._heard.put_nowait(None)


class BrowserTalk:
    """One member talking to one agent from the page."""

    def __init__(self, owner: str, bridge: Bridge, line: BrowserLine, voice: VoiceSession) -> None:
        self.id = uuid.uuid4().hex
        self.owner = owner  # tenant, agent and account it was opened for
        self.bridge = bridge
        self.line = line
        self.voice = voice
        self._tasks = [
            asyncio.create_task(line.pace()),
            asyncio.create_task(voice.run()),
        ]

    def transcript(self) -> list[dict[str, Any]]:
        return [line.to_dict() for line in self.voice.transcript]

    @property
    def ended(self) -> bool:
        return self.line.call.ended

    async def close(self) -> None:
        await self.line.hangup()
        await self.bridge.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class BrowserTalks:
    """The sessions open in this process, by id."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.open: dict[str, BrowserTalk] = {}

    async def start(
        self, owner: str, conversation: Conversation, offer_sdp: str
    ) -> tuple[str, str]:
        for talk_id in [t for t, talk in self.open.items() if talk.ended]:
            await self.open.pop(talk_id).close()
        if len(self.open) >= MAX_SESSIONS:
            raise ServiceUnavailable("too many agent conversations at once; try again soon")
        parts = await asyncio.to_thread(components, self.settings.agents)
        call = Call(id=uuid.uuid4().hex, direction="inbound", remote="browser", local="agent",
                    service="agents", started_at=self.clock.now())  # fmt: skip
        call.answered_at = call.started_at
        bridge = Bridge(call)
        answer = await bridge.answer(offer_sdp)
        line = BrowserLine(call)
        voice = VoiceSession(
            line, conversation, parts.transcriber,
            speaker_for(conversation.voice, self.settings.agents),
            self.settings.agents.no_input_seconds,
        )  # fmt: skip
        talk = BrowserTalk(owner, bridge, line, voice)
        self.open[talk.id] = talk
        return talk.id, answer

    def get(self, owner: str, talk_id: str) -> BrowserTalk:
        talk = self.open.get(talk_id)
        if talk is None or talk.owner != owner:
            raise NotFound("no such conversation (ended, or opened in another process)")
        return talk

    async def stop(self, owner: str, talk_id: str) -> list[dict[str, Any]]:
        talk = self.get(owner, talk_id)
        del self.open[talk_id]
        transcript = talk.transcript()
        await talk.close()
        return transcript

    async def close(self) -> None:
        for talk in list(self.open.values()):
            await talk.close()
        self.open.clear()
