"""An agent's definition and its knowledge base, owned by a tenant (a business)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.store.base import Base, new_id
from ringfence.store.columns import NOT_PERSONAL, personal
from ringfence.tenants.models import TenantScoped

TENANT_TABLES = (
    "agents", "agent_knowledge", "agent_calls", "agent_recordings", "contact_lists", "contacts",
    "campaigns", "campaign_calls", "campaign_attempts", "custom_voices", "evaluation_calls",
    "agent_tools", "agent_webhooks", "agent_webhook_deliveries", "agent_signing_secrets",
)  # fmt: skip
CALLS = "agent_call"
RECORDINGS = "agent_call_recording"
CONTACTS = "campaign_contact"
DNC = "do_not_call"
CAMPAIGN_CALLS = "campaign_call"
CAMPAIGN_ATTEMPTS = "campaign_attempt"
VOICE_CONSENTS = "voice_consent"
VOICE_SAMPLES = "voice_sample"
CUSTOM_VOICES = "custom_voice"
EVALUATIONS = "evaluation_report"
WEBHOOK_DELIVERIES = "agent_webhook_delivery"


class Agent(TenantScoped, Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    name: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
    greeting: Mapped[str] = mapped_column(String(500), info=NOT_PERSONAL)
    instructions: Mapped[str] = mapped_column(Text, default="", info=NOT_PERSONAL)
    language: Mapped[str] = mapped_column(String(8), default="en", info=NOT_PERSONAL)
    voice: Mapped[str] = mapped_column(String(40), default="default", info=NOT_PERSONAL)
    # Spoken first on every call: callers are told they talk to an automated assistant.
    disclosure: Mapped[str] = mapped_column(String(300), info=NOT_PERSONAL)
    # The business's numbers: the one callers dial, the one "a person" is, free booking slots.
    phone_number: Mapped[str | None] = mapped_column(String(20), info=NOT_PERSONAL)
    transfer_number: Mapped[str | None] = mapped_column(String(20), info=NOT_PERSONAL)
    slots: Mapped[str] = mapped_column(Text, default="", info=NOT_PERSONAL)  # one per line
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    updated_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class KnowledgeEntry(TenantScoped, Base):
    """A question and its answer the agent may give (an FAQ entry)."""

    __tablename__ = "agent_knowledge"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    agent_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    question: Mapped[str] = mapped_column(String(500), info=NOT_PERSONAL)
    answer: Mapped[str] = mapped_column(Text, info=NOT_PERSONAL)
    # The business's order (the list and the CSV export follow it).
    position: Mapped[int] = mapped_column(default=0, server_default="0", info=NOT_PERSONAL)


class AgentNumber(Base):
    """Which business and agent answer a dialled number. Not tenant-scoped on purpose: an
    incoming call is routed before anyone knows whose it is; it holds no data of anybody."""

    __tablename__ = "agent_numbers"

    number: Mapped[str] = mapped_column(String(20), primary_key=True, info=NOT_PERSONAL)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    agent_id: Mapped[str] = mapped_column(String(32), unique=True, info=NOT_PERSONAL)


class AgentCall(TenantScoped, Base):
    """A call an agent handled: transcript and summary, encrypted with the caller's key."""

    __tablename__ = "agent_calls"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    agent_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    direction: Mapped[str] = mapped_column(String(10), info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(80), index=True, info=personal(CALLS))
    caller_masked: Mapped[str] = mapped_column(String(24), info=personal(CALLS))
    started_at: Mapped[dt.datetime] = mapped_column(index=True, info=personal(CALLS))
    ended_at: Mapped[dt.datetime | None] = mapped_column(info=personal(CALLS))
    duration: Mapped[float] = mapped_column(Float, default=0.0, info=personal(CALLS))
    outcome: Mapped[str] = mapped_column(String(20), index=True, info=personal(CALLS))
    booked_slot: Mapped[str | None] = mapped_column(String(80), info=personal(CALLS))
    summary: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CALLS))
    transcript: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CALLS))
    keep_until: Mapped[dt.datetime] = mapped_column(index=True, info=personal(CALLS))


class AgentRecording(TenantScoped, Base):
    """Both sides of an agent call as a stereo WAV, encrypted with the caller's key."""

    __tablename__ = "agent_recordings"

    call_id: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(80), index=True, info=personal(RECORDINGS))
    audio: Mapped[bytes] = mapped_column(LargeBinary, info=personal(RECORDINGS))
    seconds: Mapped[float] = mapped_column(Float, info=personal(RECORDINGS))
    keep_until: Mapped[dt.datetime] = mapped_column(index=True, info=personal(RECORDINGS))


class ContactList(TenantScoped, Base):
    """A business's list of people to call, as imported (the counts are the import's report)."""

    __tablename__ = "contact_lists"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    name: Mapped[str] = mapped_column(String(120), info=NOT_PERSONAL)
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    imported: Mapped[int] = mapped_column(default=0, info=NOT_PERSONAL)
    rejected: Mapped[int] = mapped_column(default=0, info=NOT_PERSONAL)
    duplicates: Mapped[int] = mapped_column(default=0, info=NOT_PERSONAL)


class Contact(TenantScoped, Base):
    """One person on a list: number and name encrypted with their own key; their consent to
    AI-voice calls (when and where it was given) and their opt-out."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("list_id", "subject_ref"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    list_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(80), index=True, info=personal(CONTACTS))
    number: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CONTACTS))
    number_tail: Mapped[str] = mapped_column(String(2), info=personal(CONTACTS))
    region: Mapped[str] = mapped_column(String(2), info=personal(CONTACTS))
    name: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal(CONTACTS))
    consent_at: Mapped[dt.datetime | None] = mapped_column(info=personal(CONTACTS))
    consent_source: Mapped[str | None] = mapped_column(String(200), info=personal(CONTACTS))
    opted_out_at: Mapped[dt.datetime | None] = mapped_column(info=personal(CONTACTS))
    created_at: Mapped[dt.datetime] = mapped_column(info=personal(CONTACTS))


class DoNotCall(Base):
    """A number not to be called: a business's own list (with its tenant), or a national
    do-not-call registry imported by the operator (no tenant). Only a keyed hash is kept."""

    __tablename__ = "do_not_call"
    __table_args__ = (UniqueConstraint("scope", "number_hash"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    scope: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)  # a tenant id, or "national"
    number_hash: Mapped[str] = mapped_column(String(80), index=True, info=personal(DNC))
    source: Mapped[str] = mapped_column(String(40), info=personal(DNC))  # import | opt-out
    added_at: Mapped[dt.datetime] = mapped_column(info=personal(DNC))


class Campaign(TenantScoped, Base):
    """An outbound campaign: an agent calling a list on a schedule, within caps and rules.

    ``next_dial_at`` paces dials across every worker (calls per second): a worker about to dial
    reserves its time under the campaign row's lock."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    name: Mapped[str] = mapped_column(String(120), info=NOT_PERSONAL)
    agent_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    list_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    # What the agent says after the disclosure and the opt-out offer: why it calls.
    opening: Mapped[str] = mapped_column(String(500), info=NOT_PERSONAL)
    caller_number: Mapped[str | None] = mapped_column(String(20), info=NOT_PERSONAL)
    caller_verified_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    state: Mapped[str] = mapped_column(String(12), index=True, info=NOT_PERSONAL)
    starts_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    ends_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    max_concurrent: Mapped[int] = mapped_column(info=NOT_PERSONAL)
    calls_per_second: Mapped[float] = mapped_column(Float, info=NOT_PERSONAL)
    max_attempts: Mapped[int] = mapped_column(info=NOT_PERSONAL)
    retry_seconds: Mapped[float] = mapped_column(Float, info=NOT_PERSONAL)
    retry_backoff: Mapped[float] = mapped_column(Float, info=NOT_PERSONAL)
    ring_seconds: Mapped[float] = mapped_column(Float, info=NOT_PERSONAL)
    # On an answering machine: "hangup" (and retry later) or "message" (leave ``voicemail``).
    on_machine: Mapped[str] = mapped_column(String(10), info=NOT_PERSONAL)
    voicemail: Mapped[str] = mapped_column(String(500), default="", info=NOT_PERSONAL)
    next_dial_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    # The dialling lease: renewed by every running slice's heartbeat (and claims); a running
    # campaign with calls due whose lease lapsed lost its workers (``jobs.campaign_leases``).
    seen_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    wake_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)  # dialling resumes
    # Why dialling stopped by itself (the business's credit ran out); cleared on a start.
    pause_reason: Mapped[str | None] = mapped_column(String(200), info=NOT_PERSONAL)
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    updated_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class CampaignCall(TenantScoped, Base):
    """One contact in a campaign: where it stands (pending, dialling, retry, done, refused,
    interrupted, cancelled), why, and which worker holds it while it is dialled (``lease_until``:
    a worker that dies stops renewing it)."""

    __tablename__ = "campaign_calls"
    __table_args__ = (UniqueConstraint("campaign_id", "contact_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    campaign_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    contact_id: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(80), index=True, info=personal(CAMPAIGN_CALLS))
    number_tail: Mapped[str] = mapped_column(String(2), info=personal(CAMPAIGN_CALLS))
    state: Mapped[str] = mapped_column(String(12), index=True, info=personal(CAMPAIGN_CALLS))
    attempts: Mapped[int] = mapped_column(default=0, info=personal(CAMPAIGN_CALLS))
    next_at: Mapped[dt.datetime] = mapped_column(index=True, info=personal(CAMPAIGN_CALLS))
    outcome: Mapped[str | None] = mapped_column(String(20), info=personal(CAMPAIGN_CALLS))
    reason: Mapped[str | None] = mapped_column(String(300), info=personal(CAMPAIGN_CALLS))
    worker: Mapped[str | None] = mapped_column(String(80), info=NOT_PERSONAL)
    lease_until: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    dial_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)  # the reserved time
    # The call-back the contact asked for and the agent promised (``next_at`` is set to it);
    # cleared by the attempt that keeps it.
    call_back_at: Mapped[dt.datetime | None] = mapped_column(info=personal(CAMPAIGN_CALLS))
    updated_at: Mapped[dt.datetime] = mapped_column(info=personal(CAMPAIGN_CALLS))
    keep_until: Mapped[dt.datetime] = mapped_column(index=True, info=personal(CAMPAIGN_CALLS))


class CampaignAttempt(TenantScoped, Base):
    """One dial, written before the INVITE goes out, so a worker that dies mid-call leaves its
    record (and the call is never placed twice); ``ended_at`` stays empty until it ends."""

    __tablename__ = "campaign_attempts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    campaign_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    campaign_call_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(
        String(80), index=True, info=personal(CAMPAIGN_ATTEMPTS)
    )
    number: Mapped[int] = mapped_column(info=personal(CAMPAIGN_ATTEMPTS))  # 1 for the first dial
    worker: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
    started_at: Mapped[dt.datetime] = mapped_column(info=personal(CAMPAIGN_ATTEMPTS))
    ended_at: Mapped[dt.datetime | None] = mapped_column(info=personal(CAMPAIGN_ATTEMPTS))
    outcome: Mapped[str | None] = mapped_column(String(20), info=personal(CAMPAIGN_ATTEMPTS))
    sip_status: Mapped[int | None] = mapped_column(info=personal(CAMPAIGN_ATTEMPTS))
    agent_call_id: Mapped[str | None] = mapped_column(String(32), info=NOT_PERSONAL)
    keep_until: Mapped[dt.datetime] = mapped_column(index=True, info=personal(CAMPAIGN_ATTEMPTS))


class CustomVoice(TenantScoped, Base):
    """A voice made from a person's recorded sample, only with their signed consent.

    The speaker signs while logged in to their own account (``subject_ref``); what they signed
    (their name, the signature, the scope) is encrypted with their key. The sample is cleared
    ``sample_delete_by`` (30 days after the voice is made); the voice is deleted at the hosted
    provider and here when the speaker withdraws, at once."""

    __tablename__ = "custom_voices"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    name: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
    state: Mapped[str] = mapped_column(String(20), info=NOT_PERSONAL)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=NOT_PERSONAL)
    speaker_hash: Mapped[str] = mapped_column(String(80), info=personal(VOICE_CONSENTS))
    scope: Mapped[str] = mapped_column(String(500), info=personal(VOICE_CONSENTS))
    subject_ref: Mapped[str | None] = mapped_column(
        String(80), index=True, info=personal(VOICE_CONSENTS)
    )
    signer_name: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal(VOICE_CONSENTS))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal(VOICE_CONSENTS))
    signed_at: Mapped[dt.datetime | None] = mapped_column(info=personal(VOICE_CONSENTS))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(info=personal(VOICE_CONSENTS))
    sample: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal(VOICE_SAMPLES))
    sample_delete_by: Mapped[dt.datetime | None] = mapped_column(
        index=True, info=personal(VOICE_SAMPLES)
    )
    provider_voice_id: Mapped[str | None] = mapped_column(String(120), info=personal(CUSTOM_VOICES))
    ready_at: Mapped[dt.datetime | None] = mapped_column(info=personal(CUSTOM_VOICES))
    keep_until: Mapped[dt.datetime | None] = mapped_column(index=True, info=personal(CUSTOM_VOICES))
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class EvaluationCall(TenantScoped, Base):
    """A mystery-shopper call to a business's own number and its CallScore report. The report
    and transcript quote the business's staff, so they go after 90 days; the score stays."""

    __tablename__ = "evaluation_calls"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    number: Mapped[str] = mapped_column(String(20), index=True, info=NOT_PERSONAL)  # the business's
    business: Mapped[str] = mapped_column(String(120), info=NOT_PERSONAL)
    questions: Mapped[str] = mapped_column(Text, info=NOT_PERSONAL)  # JSON: the scenario
    caller_number: Mapped[str | None] = mapped_column(String(20), info=NOT_PERSONAL)
    state: Mapped[str] = mapped_column(String(12), info=NOT_PERSONAL)
    rubric_version: Mapped[str] = mapped_column(String(8), info=NOT_PERSONAL)
    score: Mapped[float | None] = mapped_column(Float, info=NOT_PERSONAL)
    # JSON, encrypted with the business's data key, named by ``key_ref`` (``tenant:<id>``).
    report: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal(EVALUATIONS))
    transcript: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal(EVALUATIONS))
    key_ref: Mapped[str] = mapped_column(String(60), info=NOT_PERSONAL)
    requested_at: Mapped[dt.datetime] = mapped_column(index=True, info=NOT_PERSONAL)
    finished_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    keep_until: Mapped[dt.datetime] = mapped_column(index=True, info=personal(EVALUATIONS))


class AgentTool(TenantScoped, Base):
    """An HTTP endpoint of the business's own systems the agent may call (check a slot, make a
    booking): its name and description for the dialogue, its parameters as a JSON Schema, the
    https URL it is posted to (signed with the business's secret) and how long it may take."""

    __tablename__ = "agent_tools"
    __table_args__ = (UniqueConstraint("agent_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    agent_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    name: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    description: Mapped[str] = mapped_column(String(500), info=NOT_PERSONAL)
    url: Mapped[str] = mapped_column(String(500), info=NOT_PERSONAL)
    parameters: Mapped[str] = mapped_column(Text, info=NOT_PERSONAL)  # JSON Schema
    timeout_seconds: Mapped[float] = mapped_column(Float, info=NOT_PERSONAL)
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class SigningSecret(TenantScoped, Base):
    """The business's secret its tool calls and webhooks are signed with (HMAC-SHA256), shown
    to it once when made; a new one replaces it."""

    __tablename__ = "agent_signing_secrets"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    secret: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class Webhook(TenantScoped, Base):
    """Where the business wants to hear that a call ended (outcome, summary and, if it asked
    and the caller was told the call is recorded, the transcript)."""

    __tablename__ = "agent_webhooks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    url: Mapped[str] = mapped_column(String(500), info=NOT_PERSONAL)
    send_transcript: Mapped[bool] = mapped_column(Boolean, default=False, info=NOT_PERSONAL)
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class WebhookDelivery(TenantScoped, Base):
    """One post-call event for one webhook: written with the call's record (so it is never
    lost), sent by the job queue's watch and retried with exponential backoff; the log the
    agent page shows. The payload is built from the call's record when sent, never stored."""

    __tablename__ = "agent_webhook_deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    webhook_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    call_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    agent_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(
        String(80), index=True, info=personal(WEBHOOK_DELIVERIES)
    )
    event: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    state: Mapped[str] = mapped_column(String(12), index=True, info=personal(WEBHOOK_DELIVERIES))
    attempts: Mapped[int] = mapped_column(default=0, info=personal(WEBHOOK_DELIVERIES))
    next_at: Mapped[dt.datetime] = mapped_column(index=True, info=personal(WEBHOOK_DELIVERIES))
    last_status: Mapped[int | None] = mapped_column(info=personal(WEBHOOK_DELIVERIES))
    last_error: Mapped[str | None] = mapped_column(String(200), info=personal(WEBHOOK_DELIVERIES))
    created_at: Mapped[dt.datetime] = mapped_column(info=personal(WEBHOOK_DELIVERIES))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(info=personal(WEBHOOK_DELIVERIES))
    keep_until: Mapped[dt.datetime] = mapped_column(index=True, info=personal(WEBHOOK_DELIVERIES))
