"""Custom voices, only with the speaker's signed consent.

A member asks for a voice: its name, the speaker's e-mail and the scope of use. The speaker
opens the signing link while logged in to their own account (the e-mail must be theirs),
reads the agreement (who may use the voice, for what, how long the sample and the voice are
kept, that withdrawing deletes it) and signs with their full name. Only then may the business
upload the sample and have the hosted provider make the voice (``speech.voiceclone``). The
sample is cleared 30 days after the voice is made (the sweeper, ``voice_sample``); the voice
is kept while the business uses the service and 30 days after (``custom_voice``); the speaker
withdrawing deletes it at the provider and here at once, and so does their erasure request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets
import wave
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ringfence.accounts.addresses import Addresses
from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceUnavailable
from ringfence.privacy.core import Privacy
from ringfence.services.agents.models import CUSTOM_VOICES, CustomVoice
from ringfence.settings import Settings
from ringfence.speech.voiceclone import ClonedSpeaker, HostedVoices
from ringfence.store.database import Database
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

SAMPLE_DAYS = 30  # the sample is deleted this long after the voice is made
AFTER_SUBSCRIPTION_DAYS = 30
MAX_SAMPLE = 20 * 1024 * 1024
MIN_SAMPLE_SECONDS = 10.0
PREFIX = "custom:"  # an agent's ``voice`` naming a custom voice: custom:<id>


LIMITED = (
    "the speaker limited the use of their sensitive personal information (their voice); ask "
    "them to lift the limit on their privacy choices page"
)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def agreement(business: str, voice: CustomVoice) -> str:
    """The text the speaker signs."""
    return (
        f"I allow {business} to make a synthetic voice called “{voice.name}” from recordings "
        f"of my voice, and to use it for: {voice.scope}. The recordings are deleted within "
        f"{SAMPLE_DAYS} days of the voice being made. The voice is deleted "
        f"{AFTER_SUBSCRIPTION_DAYS} days after {business} stops using the service, or at once "
        "when I withdraw this consent, which I may do at any time. The voice is made and "
        "spoken by a hosted provider on the operator's behalf; it is never used to say I said "
        "something, and every call in it says that the voice is automated."
    )


def voice_dict(v: CustomVoice) -> dict[str, Any]:
    return {"id": v.id, "name": v.name, "state": v.state, "scope": v.scope,
            "signed_at": v.signed_at.isoformat() if v.signed_at else None,
            "withdrawn_at": v.withdrawn_at.isoformat() if v.withdrawn_at else None,
            "has_sample": v.sample is not None,
            "sample_delete_by": v.sample_delete_by.isoformat() if v.sample_delete_by else None,
            "ready_at": v.ready_at.isoformat() if v.ready_at else None,
            "keep_until": v.keep_until.isoformat() if v.keep_until else None}  # fmt: skip


def _sample_seconds(wav: bytes) -> float:
    try:
        with wave.open(io.BytesIO(wav)) as reader:
            return float(reader.getnframes()) / float(reader.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError):
        raise InvalidInput("the sample must be a WAV file") from None


class Voices:
    def __init__(self, settings: Settings, db: Database, privacy: Privacy, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.privacy = privacy
        self.clock = clock
        self.key = settings.signing_key()
        self.tenants = Tenants(db, clock)
        self.addresses = Addresses.of(privacy)

    def provider(self) -> HostedVoices:
        return provider_for(self.settings)

    async def request(
        self, who: Account, tenant_id: str, name: str, speaker_email: str, scope: str
    ) -> tuple[dict[str, Any], str]:
        """A voice awaiting its speaker's signature, and the signing token for their link."""
        await self.tenants.role(who, tenant_id, "agents.edit")
        if "@" not in speaker_email or not name.strip() or not scope.strip():
            raise InvalidInput("a voice needs a name, the speaker's e-mail and its scope of use")
        token = secrets.token_urlsafe(24)
        voice = CustomVoice(
            name=name.strip()[:80],
            state="awaiting_consent",
            token_hash=_token_hash(token),
            speaker_hash=self.addresses.digest(speaker_email),
            scope=scope.strip()[:500],
            created_at=self.clock.now(),
        )
        async with tenant_session(self.db, tenant_id) as session:
            session.add(voice)
        return voice_dict(voice), token

    async def _by_token(self, session: AsyncSession, token: str) -> CustomVoice:
        voice = await session.scalar(
            select(CustomVoice).where(CustomVoice.token_hash == _token_hash(token))
        )
        if voice is None:
            raise NotFound("this signing link is not valid")
        return voice

    async def to_sign(self, speaker: Account, token: str) -> dict[str, Any]:
        """What the speaker is asked to sign (only they may read it)."""
        async with self.db.session() as session:
            voice = await self._by_token(session, token)
            self._check_speaker(speaker, voice)
            tenant = await session.get(Tenant, voice.tenant_id)
            text = agreement(tenant.name if tenant else "the business", voice)
            return {**voice_dict(voice), "agreement": text}

    def _check_speaker(self, speaker: Account, voice: CustomVoice) -> None:
        if speaker.email_hash != voice.speaker_hash:
            raise Forbidden("only the person whose voice it is may sign for it")

    async def sign(
        self, speaker: Account, token: str, full_name: str, signature: str
    ) -> dict[str, Any]:
        """The speaker signs: their name and signature (typed) and the time, kept encrypted
        with their own key."""
        if not full_name.strip() or signature.strip().lower() != full_name.strip().lower():
            raise InvalidInput("sign by typing your full name exactly as above")
        now = self.clock.now()
        async with self.db.session() as session:
            voice = await self._by_token(session, token)
            self._check_speaker(speaker, voice)
            if voice.signed_at is not None:
                raise Conflict("this consent is already signed")
            ref = speaker.subject_ref
            vault = self.privacy.vault
            voice.subject_ref = ref
            voice.signer_name = await vault.encrypt(session, ref, full_name.strip().encode())
            voice.signature = await vault.encrypt(session, ref, signature.strip().encode())
            voice.signed_at = now
            voice.state = "consented"
            self.privacy.audit.record(session, actor_kind="account", actor_id=speaker.id,
                                      action="voice.consent.signed", voice=voice.id)  # fmt: skip
            return voice_dict(voice)

    async def _voice(self, session: AsyncSession, voice_id: str) -> CustomVoice:
        voice = await session.get(CustomVoice, voice_id[:32])
        if voice is None:
            raise NotFound("no voice of this business has this id")
        return voice

    async def upload_sample(
        self, who: Account, tenant_id: str, voice_id: str, wav: bytes
    ) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        if len(wav) > MAX_SAMPLE:
            raise InvalidInput(f"the sample is at most {MAX_SAMPLE // 1024 // 1024} MB")
        if _sample_seconds(wav) < MIN_SAMPLE_SECONDS:
            raise InvalidInput(f"the sample must be at least {MIN_SAMPLE_SECONDS:.0f} s of speech")
        async with tenant_session(self.db, tenant_id) as session:
            voice = await self._voice(session, voice_id)
            if voice.state != "consented" or voice.subject_ref is None:
                raise Conflict(f"no sample before the speaker signs their consent ({voice.state})")
            voice.sample = await self.privacy.vault.encrypt(session, voice.subject_ref, wav)
            return voice_dict(voice)

    async def make(self, who: Account, tenant_id: str, voice_id: str) -> dict[str, Any]:
        """Have the provider make the voice from the sample; the sample's deletion is due."""
        await self.tenants.role(who, tenant_id, "agents.edit")
        provider = self.provider()
        async with tenant_session(self.db, tenant_id) as session:
            voice = await self._voice(session, voice_id)
            if voice.state != "consented" or voice.sample is None or voice.subject_ref is None:
                raise Conflict("a voice is made from a sample its speaker consented to")
            if await self.privacy.consents.limited(session, [voice.subject_ref]):
                raise Conflict(LIMITED)
            wav = await self.privacy.vault.decrypt(session, voice.subject_ref, voice.sample)
            name = voice.name
        provider_id = await provider.create(name, wav)
        now = self.clock.now()
        async with tenant_session(self.db, tenant_id) as session:
            voice = await self._voice(session, voice_id)
            if voice.state != "consented":  # withdrawn meanwhile
                await provider.delete(provider_id)
                raise Conflict("the speaker withdrew their consent")
            voice.provider_voice_id, voice.ready_at, voice.state = provider_id, now, "ready"
            voice.sample_delete_by = now + dt.timedelta(days=SAMPLE_DAYS)
            return voice_dict(voice)

    async def list(self, who: Account, tenant_id: str) -> list[dict[str, Any]]:
        await self.tenants.role(who, tenant_id, "agents.read")
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.scalars(select(CustomVoice).order_by(CustomVoice.created_at))
            return [voice_dict(v) for v in found.all()]

    async def delete(self, who: Account, tenant_id: str, voice_id: str) -> None:
        """The business stops using a voice: deleted at the provider, then here with its sample
        and its consent (agents that spoke in it fall back to the default voice)."""
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            provider_voice_id = (await self._voice(session, voice_id)).provider_voice_id
        if provider_voice_id:  # no transaction is held across the provider's answer
            await provider_for(self.settings).delete(provider_voice_id)
        async with tenant_session(self.db, tenant_id) as session:
            voice = await self._voice(session, voice_id)
            await session.delete(voice)
        async with self.db.session() as session:
            self.privacy.audit.record(session, actor_kind="account", actor_id=who.id,
                                      action="voice.deleted", tenant=tenant_id,
                                      voice=voice.id)  # fmt: skip

    async def withdraw(self, speaker: Account, voice_id: str) -> dict[str, Any]:
        """The speaker withdraws: the voice is deleted at the provider, its sample and the
        provider's id here, at once; agents that spoke in it fall back to the default voice."""
        async with self.db.session() as session:
            voice = await session.get(CustomVoice, voice_id[:32])
            if voice is None or voice.subject_ref != speaker.subject_ref:
                raise NotFound("you signed no consent for a voice with this id")
            await delete_voice(voice, self.settings)
            # The consent stays as the record of what was agreed and when it was withdrawn.
            voice.withdrawn_at = voice.withdrawn_at or self.clock.now()
            self.privacy.audit.record(session, actor_kind="account", actor_id=speaker.id,
                                      action="voice.consent.withdrawn", voice=voice.id)  # fmt: skip
            return voice_dict(voice)

    async def speaker(self, tenant_id: str, voice: str) -> ClonedSpeaker | None:
        """The agent's custom voice when it is ready and its consent stands, else None."""
        if not voice.startswith(PREFIX) or not self.settings.agents.voice_clone_url:
            return None
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.get(CustomVoice, voice.removeprefix(PREFIX)[:32])
        if found is None or found.state != "ready" or not found.provider_voice_id:
            return None
        async with self.db.session() as session:
            if await self.privacy.consents.limited(session, [found.subject_ref or ""]):
                return None  # the speaker limited the use of their voice (CPRA)
        return ClonedSpeaker(self.provider(), found.provider_voice_id)


def provider_for(settings: Settings) -> HostedVoices:
    agents = settings.agents
    if not agents.voice_clone_url:
        raise ServiceUnavailable(
            "custom voices need a hosted voice provider (RINGFENCE_AGENTS__VOICE_CLONE_URL): "
            "ringfence ships no offline voice-cloning model"
        )
    key = agents.voice_clone_key.get_secret_value() if agents.voice_clone_key else None
    return HostedVoices(agents.voice_clone_url, key)


async def delete_voice(voice: CustomVoice, settings: Settings) -> None:
    """At the provider, then its sample and the provider's id here."""
    if voice.provider_voice_id:
        await provider_for(settings).delete(voice.provider_voice_id)
    voice.provider_voice_id = None
    voice.sample = None
    voice.sample_delete_by = None
    voice.state = "withdrawn"


async def erase_voices(
    settings: Settings, session: AsyncSession, subject_ref: str
) -> list[dict[str, Any]]:
    """An erasure request's first step: the speaker's voices deleted at the provider (the rows
    themselves are then deleted with the rest of their data, so no withdrawal time is kept)."""
    voices = (
        await session.scalars(select(CustomVoice).where(CustomVoice.subject_ref == subject_ref))
    ).all()
    for voice in voices:
        await delete_voice(voice, settings)
    if not voices:
        return []
    return [{"action": "deleted at the voice provider", "category": CUSTOM_VOICES,
             "records": len(voices)}]  # fmt: skip


async def release_voices(
    settings: Settings, session: AsyncSession, condition: ColumnElement[bool]
) -> int:
    """Before the sweeper deletes voice rows (kept past the business's use of the service, or
    with a closed business): each made voice deleted at the provider first."""
    made = await session.scalars(
        select(CustomVoice).where(condition, CustomVoice.provider_voice_id.is_not(None))
    )
    voices = made.all()
    for voice in voices:
        await delete_voice(voice, settings)
    return len(voices)
