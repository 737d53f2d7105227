"""The agents dashboard in Chromium: a business, an agent with knowledge, trying it in text, and
talking to it with a (fake) microphone over WebRTC."""

from __future__ import annotations

import asyncio
import base64
import re
import wave
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ringfence.media.speech import speak
from tests.support.browser import (
    MODEL_WAIT_MS,
    WAIT_MS,
    agents_site,
    new_page,
    sign_up_and_log_in,
)
from tests.support.mail import MAIL_WAIT_S, link_in

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def test_a_business_builds_and_tries_an_agent(tmp_path: Path) -> None:
    with agents_site(tmp_path) as (page, base, inbox):
        page.goto(base + "/")
        page.click("a[data-service=agents]")
        page.fill("#business-name", "Cutting Edge")
        page.click("#new-business button[type=submit]")
        page.wait_for_selector("#role")
        assert page.inner_text("#role") == "Owner"  # a word, not the stored "owner"
        # A member is invited; whoever has that address signs up, opens the link and accepts.
        page.fill("#member-email", "nobody@example.org")
        page.select_option("#member-role", label="Viewer")
        page.click("#new-member button[type=submit]")
        page.wait_for_selector("#pending td:has-text('n…@example.org')")
        link = link_in(inbox.received.get(timeout=MAIL_WAIT_S))
        browser = page.context.browser
        assert browser is not None
        invitee = new_page(browser)  # a context of its own: another person's cookies
        sign_up_and_log_in(invitee, base, inbox, "nobody@example.org")
        invitee.goto(link)
        assert invitee.inner_text("#business") == "Cutting Edge"
        assert invitee.inner_text("#invited-role") == "Viewer"
        invitee.click("#accept")
        invitee.wait_for_selector("#role")
        assert invitee.inner_text("#role") == "Viewer"
        invitee.close()
        page.reload()
        assert "nobody@example.org" in page.inner_text("#members")
        assert "None." in page.inner_text("#pending")

        page.fill("#agent-name", "Front desk")
        page.fill("#agent-greeting", "Hello, Cutting Edge, how can I help?")
        page.click("#new-agent button[type=submit]")
        page.wait_for_selector("#agent-title")
        disclosure = page.inner_text("#disclosure")
        assert disclosure == "You are speaking with an automated assistant for Cutting Edge."
        page.fill("#question", "What are your opening hours?")
        page.fill("#answer", "We are open from 9 am to 5 pm, Monday to Friday.")
        page.click("#new-knowledge button[type=submit]")
        page.wait_for_selector("#knowledge dt")

        page.fill("#said", "when do you open on monday")
        page.click("#try button[type=submit]")
        reply = page.locator("#reply")
        # The first reply loads the embedding model: on a loaded machine, over a minute.
        expect(reply).to_have_attribute("data-kind", re.compile(".+"), timeout=MODEL_WAIT_MS)
        assert reply.get_attribute("data-kind") == "answer"
        assert "9 am to 5 pm" in page.inner_text("#reply")
        assert "(it answers from its knowledge)" in page.inner_text("#reply")
        # The decision behind the reply: the entry it answered from and how sure it was.
        assert page.inner_text("#decision-matched") == "What are your opening hours?"
        assert re.fullmatch(r"\d{1,3} %", page.inner_text("#decision-confidence"))
        assert page.inner_text("#decision-by") == "the offline dialogue"
        assert "offline dialogue on this server" in page.inner_text("#dialogue-source")
        # Nobody to put a caller through to: no transfer is offered, a message is.
        assert "offered to leave a message" in page.inner_text("#transfer-state")
        page.fill("#said", "can I talk to a real person")
        page.click("#try button[type=submit]")
        expect(reply).to_have_attribute("data-kind", "message")
        assert "take a message" in page.inner_text("#reply")
        assert "put you through" not in page.inner_text("#reply")
        # With a transfer number, the same question is put through.
        page.fill("#agent-transfer", "+442079460999")
        page.click("#edit-agent button[type=submit]")
        page.wait_for_selector("#transfer-state .number")
        assert "+442079460999" in page.inner_text("#transfer-state")
        page.fill("#said", "can I talk to a real person")
        page.click("#try button[type=submit]")
        expect(reply).to_have_attribute("data-kind", "transfer")
        assert "puts the caller through to a person" in page.inner_text("#reply")
        # An opt-out in a wording of its own; the weather declined, not answered with the
        # hours; a message for a named person.
        page.fill("#said", "please never ring this number again")
        page.click("#try button[type=submit]")
        expect(reply).to_have_attribute("data-kind", "opt_out")
        assert "not be called again" in page.inner_text("#reply")
        page.fill("#said", "what's the weather like")
        page.click("#try button[type=submit]")
        expect(reply).to_have_attribute("data-kind", "off_topic")
        assert "9 am" not in page.inner_text("#reply")
        page.fill("#said", "can you let Dr Patel know I called")
        page.click("#try button[type=submit]")
        expect(reply).to_have_attribute("data-kind", "message")
        assert page.inner_text("#decision-person") == "Dr Patel"
        # The agent's voices are named for people, not by their engines' ids.
        voices = page.eval_on_selector_all("#agent-voice option", "os => os.map(o => o.text)")
        assert "eSpeak (robotic, offline)" in voices and "espeak" not in voices

        # The CallScore rubric a report links to is a page, not a JSON document.
        page.click("a:has-text('Cutting Edge')")
        page.click("#callscore-link")
        page.click("#rubric-link")
        page.wait_for_selector("#rubric-signals")
        assert "Answered within 15 seconds" in page.inner_text("#rubric-signals")
        assert '"signals"' not in page.content()


def _recording(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(int(16000 * 2 * seconds)))
    return path


def test_a_voice_asked_for_consented_to_uploaded_and_deleted(tmp_path: Path) -> None:
    sample = _recording(tmp_path / "sample.wav", 12)
    with agents_site(tmp_path) as (page, base, inbox):
        page.goto(base + "/agents")
        page.fill("#business-name", "Cutting Edge")
        page.click("#new-business button[type=submit]")
        page.click("#voices-link")
        page.wait_for_selector("#new-voice")
        assert page.inner_text("#voices tbody") == "No voice yet."
        page.fill("#voice-name", "Sam")
        page.fill("#voice-speaker", "sam@example.org")
        page.fill("#voice-scope", "Answering calls to the front desk")
        page.click("#new-voice button[type=submit]")
        link = page.input_value("#signing-url")
        voices_url = page.url
        row = page.locator("#voices tbody tr[data-state]")
        expect(row.locator(".state")).to_have_text("Waiting for the speaker to sign")
        expect(row.locator(".keep")).to_have_text("Not made yet")

        # The speaker signs on their own account.
        browser = page.context.browser
        assert browser is not None
        speaker = browser.new_page()
        sign_up_and_log_in(speaker, base, inbox, "sam@example.org")
        speaker.goto(link)
        speaker.fill("#full-name", "Sam Jones")
        speaker.fill("#signature", "Sam Jones")
        speaker.check("input[name=agree]")
        speaker.click("#sign button[type=submit]")
        expect(speaker.locator("#voice-state")).to_have_text("Signed: waiting for the sample")
        assert not re.search(r"\d{4}-\d\d-\d\dT", speaker.inner_text("#voice-dates"))  # not ISO
        speaker.close()

        page.goto(voices_url)  # not a reload: that would post the form again
        expect(row.locator(".state")).to_contain_text("Signed: waiting for the sample")
        expect(row.locator(".state time")).to_have_count(1)
        assert row.get_attribute("data-state") == "consented"
        # Too short a recording is refused with the reason; a long enough one is kept.
        short = _recording(tmp_path / "short.wav", 2)
        page.set_input_files(".sample-form input[type=file]", str(short))
        page.click(".sample-form button[type=submit]")
        status = page.locator(".voice-status[data-ok=no]")
        expect(status).to_contain_text("at least 10 s")
        page.set_input_files(".sample-form input[type=file]", str(sample))
        page.click(".sample-form button[type=submit]")
        expect(row.locator(".sample")).to_contain_text("Uploaded")
        # This server has no voice provider: making it says so, on the page.
        assert page.is_visible("#no-provider")
        page.click(".sample-form .make")
        expect(status).to_contain_text("voice provider")

        page.check(".delete-voice input[name=sure]")
        page.click(".delete-voice button[type=submit]")
        expect(page.locator("#voices tbody")).to_have_text("No voice yet.")


def _quiet_microphone(path: Path) -> Path:
    """The fake microphone's own sound: silence (Chromium's default is a beep)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(8000 * 2))
    return path


# Says 16-bit PCM (base64, at ``rate``) into the call in place of the microphone, once, and
# resolves when it has been said. The caller speaks when the agent is listening, whatever the
# machine's load: a question at a fixed second of a looped recording was said before a slow
# start-up listened, or said again over the answer.
ASK = """async ([pcm, rate]) => {
  const raw = atob(pcm);
  const samples = new Float32Array(raw.length / 2);
  for (let i = 0; i < samples.length; i++) {
    const v = raw.charCodeAt(2 * i) | (raw.charCodeAt(2 * i + 1) << 8);
    samples[i] = (v >= 32768 ? v - 65536 : v) / 32768;
  }
  const audio = new AudioContext();
  await audio.resume();
  const buffer = audio.createBuffer(1, samples.length, rate);
  buffer.copyToChannel(samples, 0);
  const source = audio.createBufferSource();
  source.buffer = buffer;
  const out = audio.createMediaStreamDestination();
  source.connect(out);
  const sender = window.agentTalk.pc.getSenders().find((s) => s.track && s.track.kind === "audio");
  await sender.replaceTrack(out.stream.getAudioTracks()[0]);
  const said = new Promise((done) => { source.onended = done; });
  source.start();
  await said;
  return samples.length / rate;
}"""


def test_talking_to_the_agent_from_its_page(tmp_path: Path) -> None:
    mic = _quiet_microphone(tmp_path / "mic.wav")
    question = asyncio.run(speak("What are your opening hours?", voice="en-gb-x-rp", speed=150))
    flags = [
        f"--use-file-for-fake-audio-capture={mic}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with agents_site(tmp_path, flags) as (page, base, _):
        page.goto(base + "/agents")
        page.fill("#business-name", "Cutting Edge")
        page.click("#new-business button[type=submit]")
        page.fill("#agent-name", "Front desk")
        page.fill("#agent-greeting", "How can I help?")
        page.click("#new-agent button[type=submit]")
        page.wait_for_selector("#agent-title")
        page.fill("#question", "What are your opening hours?")
        page.fill("#answer", "We are open from nine to five, Monday to Friday.")
        page.click("#new-knowledge button[type=submit]")
        page.wait_for_selector("#knowledge dt")

        page.click("#talk-start")
        talk_state = page.locator("#talk-state")
        expect(talk_state).to_have_attribute("data-state", "talking")
        # The agent opens (disclosure first), hears the question and answers it.
        agent_lines = page.locator("#talk-transcript li[data-speaker=agent]")
        expect(agent_lines.first).to_be_visible(timeout=MODEL_WAIT_MS)
        said = page.evaluate(ASK, [base64.b64encode(question).decode(), 8000])
        assert 1 < said < 5  # seconds of the question
        try:
            agent_lines.filter(has_text="Monday to Friday").first.wait_for(timeout=MODEL_WAIT_MS)
        finally:
            lines = page.eval_on_selector_all(
                "#talk-transcript li", "els => els.map(e => e.textContent)"
            )
            print("transcript:", lines)  # noqa: T201 (what was said, when the wait fails)
        assert lines[0].startswith("agent: You are speaking with an automated assistant")
        assert "recorded" not in lines[0]  # nothing of a talk is recorded, so it does not say so
        assert any(line.startswith("caller:") and "opening" in line.lower() for line in lines)
        # The agent's voice reaches the browser: the transcript shows a reply once it is written,
        # its audio arrives as it is played out (slower than that on a loaded machine), so the
        # page is asked until the bytes are there. WebRTC's statistics fire no event to await.
        received = page.evaluate(
            """async ([enough, patience]) => {
                const until = Date.now() + patience;
                for (;;) {
                    const stats = await window.agentTalk.pc.getStats();
                    let bytes = 0;
                    stats.forEach((r) => {
                        if (r.type === "inbound-rtp") bytes += r.bytesReceived;
                    });
                    if (bytes > enough || Date.now() > until) return bytes;
                    await new Promise((later) => setTimeout(later, 250));
                }
            }""",
            [10_000, WAIT_MS],
        )
        assert received > 10_000
        page.click("#talk-stop")
        expect(talk_state).to_have_attribute("data-state", "ended")
