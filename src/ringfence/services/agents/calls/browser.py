"""Talking to an agent from its page: the browser's microphone over WebRTC, the agent's voice
back, the same pipeline as on a phone call.

The telephony ``Bridge`` joins a browser to a ``Call``; here that call has no SIP leg: its
other end is a second ``Call`` the agent's pipeline talks on, the two crossed on a 20 ms pacer
(``Crossed``), so the agent sees the same line as on a phone call.
Nothing is recorded or stored: it is a member trying their agent, and the transcript lives only
as long as the session, for the page to show.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from ringfence.clock import Clock
from ringfence.errors import NotFound, ServiceUnavailable
from ringfence.media.frames import FRAME_MS
from ringfence.services.agents.calls.components import speaker_for
from ringfence.services.agents.calls.pipeline import VoiceSession
from ringfence.services.agents.calls.wiring import load, voice_session
from ringfence.services.agents.dialogue.conversation import Conversation
from ringfence.settings import Settings
from ringfence.telephony.calls import Call, CallEvent, EndReason
from ringfence.telephony.webrtc import Bridge

TICK = FRAME_MS / 1000
MAX_SESSIONS = 4  # per process: each runs recognition and synthesis on these cores


class Crossed:
    """A call with no network in it: two ``Call`` ends whose audio is crossed every 20 ms, as
    the media clock paces a phone call; what one end plays, the other hears. The browser's
    bridge talks on ``browser``, the agent's pipeline on ``agent``; hanging up either ends both.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        started_at = clock.now()
        self.browser, self.agent = (
            Call(
                id=uuid.uuid4().hex,
                direction=direction,
                remote=remote,
                local="agent",
                service="agents",
                started_at=started_at,
            )  # fmt: skip
            for direction, remote in (("inbound", "browser"), ("outbound", "agent"))
        )
        for end in (self.browser, self.agent):
            end.control = self
            end.answered_at = started_at

    @property
    def ended(self) -> bool:
        return self.browser.ended

    async def answer(self, call: Call, *, max_duration: float | None = None) -> None:
        """Both ends are answered from the start."""

    async def hangup(self, call: Call, *, reason: EndReason = EndReason.COMPLETED) -> None:
        now = self.clock.now()
        for end in (self.browser, self.agent):
            if not end.ended:
                end.emit(CallEvent("ended", now, reason=reason.value))

    async def pace(self) -> None:
        # Paced on the event loop's own clock: these are the deadlines its sleeps keep.
        loop = asyncio.get_running_loop()
        start, n = loop.time(), 0
        while not self.ended:
            n += 1
            await asyncio.sleep(max(0.0, start + n * TICK - loop.time()))
            self.agent.receive_frame(self.browser.next_frame())
            self.browser.receive_frame(self.agent.next_frame())


class BrowserTalk:
    """One member talking to one agent from the page."""

    def __init__(self, owner: str, bridge: Bridge, call: Crossed, voice: VoiceSession) -> None:
        self.id = uuid.uuid4().hex
        self.owner = owner  # tenant, agent and account it was opened for
        self.bridge = bridge
        self.call = call
        self.voice = voice
        self._tasks = [
            asyncio.create_task(call.pace()),
            asyncio.create_task(voice.run()),
        ]

    def transcript(self) -> list[dict[str, Any]]:
        return [line.to_dict() for line in self.voice.transcript]

    @property
    def ended(self) -> bool:
        return self.call.ended

    async def close(self) -> None:
        await self.call.agent.hangup()
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
        # Nothing of it is recorded, so the agent does not say it is; and nobody is put
        # through from here, so asked for a person it offers to take a message.
        conversation.recorded, conversation.transfer_to = False, None
        models = await load(self.settings.agents)
        call = Crossed(self.clock)
        bridge = Bridge(call.browser)
        answer = await bridge.answer(offer_sdp)
        agents = self.settings.agents
        speaker = speaker_for(conversation.voice, agents)  # a custom voice is for phone calls
        voice = voice_session(call.agent, conversation, models, speaker, agents, self.clock)
        talk = BrowserTalk(owner, bridge, call, voice)
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
