"""The pipeline's pluggable parts, chosen by settings and loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.errors import ConfigurationError
from ringfence.services.agents.dialogue.intents import example_vectors
from ringfence.settings import AgentSettings
from ringfence.speech.embeddings import Embedder, default_embedder
from ringfence.speech.stt import HostedTranscriber, Transcriber, WhisperTranscriber
from ringfence.speech.tts import EspeakSpeaker, HibariSpeaker, HostedSpeaker, Speaker

VOICES = ("default", "hibari", "espeak", "hosted")  # "default": the setting's voice


@dataclass(frozen=True)
class Components:
    transcriber: Transcriber
    speaker: Speaker
    embedder: Embedder


_loaded: dict[tuple[str, ...], Components] = {}


def components(settings: AgentSettings) -> Components:
    """Blocking on first use (models load, and the intent examples are embedded, in a few
    seconds): call it from a thread."""
    key = (settings.stt, settings.tts, settings.stt_url or "", settings.stt_model,
           settings.tts_url or "")  # fmt: skip
    found = _loaded.get(key)
    if found is None:
        found = Components(_transcriber(settings), _speaker(settings), default_embedder())
        example_vectors(found.embedder)  # the intent classifier's examples, embedded once now
        _loaded[key] = found
    return found


def _transcriber(settings: AgentSettings) -> Transcriber:
    if settings.stt == "hosted":
        if not settings.stt_url:
            raise ConfigurationError("RINGFENCE_AGENTS__STT=hosted needs RINGFENCE_AGENTS__STT_URL")
        key = settings.api_key.get_secret_value() if settings.api_key else None
        return HostedTranscriber(settings.stt_url, settings.stt_model, key)
    return WhisperTranscriber()


def _speaker(settings: AgentSettings) -> Speaker:
    return speaker_for("default", settings)


def speaker_for(voice: str, settings: AgentSettings) -> Speaker:
    """The voice an agent chose; the default one when its choice is not set up here."""
    chosen = settings.tts if voice == "default" else voice
    if chosen == "hosted":
        if not settings.tts_url:
            return HibariSpeaker()  # chosen before the operator removed the hosted voice
        key = settings.api_key.get_secret_value() if settings.api_key else None
        return HostedSpeaker(settings.tts_url, settings.tts_model, settings.tts_voice, key)
    return EspeakSpeaker() if chosen == "espeak" else HibariSpeaker()
