"""The pipeline's pluggable parts, chosen by settings and loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.errors import ConfigurationError
from ringfence.settings import AgentSettings
from ringfence.speech.embeddings import Embedder, default_embedder
from ringfence.speech.stt import HostedTranscriber, Transcriber, WhisperTranscriber
from ringfence.speech.tts import EspeakSpeaker, HibariSpeaker, Speaker


@dataclass(frozen=True)
class Components:
    transcriber: Transcriber
    speaker: Speaker
    embedder: Embedder


_loaded: dict[tuple[str, ...], Components] = {}


def components(settings: AgentSettings) -> Components:
    """Blocking on first use (models load in about a second): call it from a thread."""
    key = (settings.stt, settings.tts, settings.stt_url or "", settings.stt_model)
    found = _loaded.get(key)
    if found is None:
        found = Components(_transcriber(settings), _speaker(settings), default_embedder())
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
    return EspeakSpeaker() if settings.tts == "espeak" else HibariSpeaker()
