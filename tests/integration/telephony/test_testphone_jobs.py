"""The test phone from the job workers: on the default install (no carrier, jobs run in the
server's process) a campaign's call rings a test phone's line like any call, so a newcomer can
hear a campaign without a carrier account. The line here is a client of the real websocket, and
answers with a real WebRTC offer (aiortc), as the /phone tab does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from websockets.asyncio.client import ClientConnection, connect

from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.services.agents.testing import CALLER_ID, CONSENTED, open_shop
from ringfence.store import Database
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.web import serving

pytestmark = pytest.mark.integration
WAIT = 120.0  # seconds for a message on a loaded machine
LOUD = 1000  # a 16-bit sample louder than the line's silence: speech


async def _next(ws: ClientConnection, kind: str, **fields: Any) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        while True:
            message = json.loads(await ws.recv())
            assert message.get("type") != "error", message
            if message.get("type") == kind and all(message.get(k) == v for k, v in fields.items()):
                return dict(message)


async def _hear(track: MediaStreamTrack, heard: asyncio.Future[None]) -> None:
    """Resolves ``heard`` at the first audio frame that is not silence."""
    while not heard.done():
        frame = await track.recv()
        if np.abs(frame.to_ndarray()).max() > LOUD:
            heard.set_result(None)


async def _progress(shop: Any, campaign: str, done: str) -> dict[str, Any]:
    """The jobs run on the queue's threads: no event reaches this loop, so it looks."""
    async with asyncio.timeout(WAIT):
        while True:
            progress = await shop.campaigns.progress_of(shop.tenant_id, campaign)
            if progress["campaign"]["state"] == done:
                return dict(progress)
            await asyncio.sleep(0.5)


async def test_a_campaign_calls_a_test_phone_from_a_job_worker(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    settings = make_settings(
        database_url=database_url, agents={"calling_hours": (0, 24), "tts": "espeak"}
    )
    assert settings.telephony.builtin_test_phone  # no carrier: the default install
    queue = JobQueue(settings)
    async with serving(create_app(settings, queue=queue, run_workers=True)) as base:
        async with connect(
            base.replace("http", "ws") + "/api/phone/line",
            additional_headers={"Origin": base, "Cookie": f"rf_anon={'c' * 32}"},
        ) as ws:
            number = (await _next(ws, "line"))["number"]
            shop = await open_shop(settings, db, SystemClock(), [(number, CONSENTED)])
            shop.campaigns.enqueue = queue.enqueue
            campaign = await shop.campaign()
            await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)

            ringing = await _next(ws, "incoming")
            assert ringing["from"] == CALLER_ID  # the business's own number, as shown
            pc = RTCPeerConnection()
            heard: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            pc.on(
                "track", lambda track: listeners.append(asyncio.ensure_future(_hear(track, heard)))
            )
            listeners: list[asyncio.Future[None]] = []
            try:
                pc.addTransceiver("audio", direction="sendrecv")
                await pc.setLocalDescription(await pc.createOffer())
                offer = pc.localDescription.sdp
                await ws.send(json.dumps({"type": "answer", "call": ringing["call"], "sdp": offer}))
                answer = await _next(ws, "sdp", call=ringing["call"])
                await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
                await _next(ws, "state", call=ringing["call"], state="answered")
                # The agent's opening, spoken by the worker's engine, reaches the tab's audio.
                await asyncio.wait_for(heard, WAIT)
                await ws.send(json.dumps({"type": "hangup", "call": ringing["call"]}))
                await _next(ws, "state", call=ringing["call"], state="ended")
            finally:
                await pc.close()
                for listener in listeners:
                    listener.cancel()
            progress = await _progress(shop, campaign, "done")
    assert progress["dialled"] == 1 and progress["answered"] == 1, progress
