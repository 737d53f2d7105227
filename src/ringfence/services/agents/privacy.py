"""agents' categories: the calls an agent handled (transcript, summary) and their recordings.

Agent definitions and knowledge bases are a business's own configuration, not personal data.
Both categories are kept 90 days by default; a business may ask in writing for longer, which its
owner records on the business's settings (audited): each row carries its own end
(``keep_until``), which the sweeper honours.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ringfence.privacy.inventory import (
    Anonymise,
    Category,
    LegalBasis,
    Processor,
    Retention,
    SubjectKind,
)
from ringfence.services.agents.models import (
    CALLS,
    CAMPAIGN_ATTEMPTS,
    CAMPAIGN_CALLS,
    CONTACTS,
    CUSTOM_VOICES,
    DNC,
    EVALUATIONS,
    RECORDINGS,
    VOICE_CONSENTS,
    VOICE_SAMPLES,
    WEBHOOK_DELIVERIES,
)
from ringfence.services.agents.voices.service import erase_voices, release_voices
from ringfence.settings import Settings

EXTENDED = " Kept 90 days unless the business asked in writing for longer."

CATEGORIES = (
    Category(
        name=CALLS,
        service="agents",
        title="Calls answered by a business's AI agent",
        store="agent_calls",
        fields=(
            "subject_ref",
            "caller_masked",
            "started_at",
            "ended_at",
            "duration",
            "outcome",
            "booked_slot",
            "summary",
            "transcript",
        ),  # fmt: skip
        purpose="Let the business you called read what was said and act on it (a message, a "
        "booking). Card numbers, national ids and dates of birth are removed from the transcript "
        "before it is stored; it is encrypted with a key of your own." + EXTENDED,
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(90),
        timestamp="started_at",
        expires_field="keep_until",
        encrypted=True,
        processors=("the SIP carrier that connects the call",),
        subject=SubjectKind.PHONE,
        subject_field="subject_ref",
    ),
    Category(
        name=RECORDINGS,
        service="agents",
        title="Recordings of calls answered by an AI agent",
        store="agent_recordings",
        fields=("audio", "seconds"),
        purpose="Let the business check what its agent said and heard. Every call says it is "
        "recorded before anything else is said; encrypted with a key of your own." + EXTENDED,
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.duration(90),
        timestamp="keep_until",
        expires_field="keep_until",
        encrypted=True,
        subject=SubjectKind.PHONE,
        subject_field="subject_ref",
    ),
    Category(
        name=CONTACTS,
        service="agents",
        title="Your number on a business's calling list",
        store="contacts",
        fields=(
            "subject_ref",
            "number",
            "number_tail",
            "region",
            "name",
            "consent_at",
            "consent_source",
            "opted_out_at",
            "created_at",
        ),  # fmt: skip
        purpose="Let a business call you with its AI agent, only if you agreed in writing "
        "(when and where you did is kept with it) and never after you said stop. Your number "
        "and name are encrypted with a key of your own.",
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.while_("until the business deletes the list, or you ask us to"),
        encrypted=True,
        subject=SubjectKind.PHONE,
        subject_field="subject_ref",
        rectifiable=("name",),
    ),
    Category(
        name=DNC,
        service="agents",
        title="Numbers that must not be called",
        store="do_not_call",
        fields=("number_hash", "source", "added_at"),
        purpose="Keep your wish not to be called (said on a call, pressed on the keypad, or on "
        "a do-not-call list). Only a keyed hash of the number is kept.",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.while_("as long as the wish not to be called stands"),
        subject=SubjectKind.PHONE,
        subject_field="number_hash",
        subject_hashed=True,
        legal_hold="Kept so that you are not called again: deleting it would let calls resume.",
    ),
    Category(
        name=CAMPAIGN_CALLS,
        service="agents",
        title="Where your number stands in a business's calling campaign",
        store="campaign_calls",
        fields=(
            "subject_ref",
            "number_tail",
            "state",
            "attempts",
            "next_at",
            "outcome",
            "reason",
            "call_back_at",
            "updated_at",
        ),  # fmt: skip
        purpose="Call you at most as often as the campaign allows, never outside your local "
        "calling hours, call you back when you asked for it, and record why a call was not "
        "made (a do-not-call list, no consent)." + EXTENDED,
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.duration(90),
        timestamp="keep_until",
        expires_field="keep_until",
        subject=SubjectKind.PHONE,
        subject_field="subject_ref",
    ),
    Category(
        name=CAMPAIGN_ATTEMPTS,
        service="agents",
        title="Each call a campaign placed to you",
        store="campaign_attempts",
        fields=("number", "started_at", "ended_at", "outcome", "sip_status"),
        purpose="Show the business which calls were made, when and how they ended (busy, no "
        "answer, answered, a message left), so none is repeated." + EXTENDED,
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.duration(90),
        timestamp="keep_until",
        expires_field="keep_until",
        processors=("the SIP carrier that connects the call",),
        subject=SubjectKind.PHONE,
        subject_field="subject_ref",
    ),
    Category(
        name=VOICE_CONSENTS,
        service="agents",
        title="Your signed consent to a synthetic voice made from yours",
        store="custom_voices",
        fields=(
            "speaker_hash",
            "scope",
            "subject_ref",
            "signer_name",
            "signature",
            "signed_at",
            "withdrawn_at",
        ),  # fmt: skip
        purpose="Prove that you agreed, signed, to a business making and using a voice from "
        "recordings of yours, for the scope you read, and when you withdrew. Your name and "
        "signature are encrypted with a key of your own.",
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.while_("as long as the voice record is kept"),
        encrypted=True,
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
    ),
    Category(
        name=VOICE_SAMPLES,
        service="agents",
        title="Recordings of your voice a custom voice is made from",
        store="custom_voices",
        fields=("sample", "sample_delete_by"),
        purpose="Make the voice you consented to; deleted 30 days after the voice is made, or "
        "at once when you withdraw. Encrypted with a key of your own.",
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.duration(30),
        timestamp="sample_delete_by",
        expires_field="sample_delete_by",
        at_expiry=Anonymise(fields=("sample",)),
        encrypted=True,
        processors=("the hosted voice provider that makes the voice",),
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
    ),
    Category(
        name=CUSTOM_VOICES,
        service="agents",
        title="A synthetic voice made from yours",
        store="custom_voices",
        fields=("provider_voice_id", "ready_at", "keep_until"),
        purpose="Let the business's agents speak in the voice you consented to, within its "
        "scope. Deleted at the provider and here when you withdraw your consent, at once; "
        "otherwise 30 days after the business closes its account.",
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.subscription_plus(30),
        timestamp="keep_until",
        expires_field="keep_until",
        processors=("the hosted voice provider that makes and speaks the voice",),
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
    ),
    Category(
        name=EVALUATIONS,
        service="agents",
        title="What a business's staff said on an evaluation (mystery-shopper) call",
        store="evaluation_calls",
        fields=("report", "transcript"),
        purpose="Show the business how its phone is answered: the report quotes what was said "
        "as evidence for each signal. Cleared after 90 days; the score alone stays.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(90),
        timestamp="keep_until",
        expires_field="keep_until",
        at_expiry=Anonymise(fields=("report", "transcript")),
        encrypted=True,
        key_field="key_ref",
        processors=("the SIP carrier that connects the call",),
    ),
    Category(
        name=WEBHOOK_DELIVERIES,
        service="agents",
        title="The log of a business's systems told that your call ended",
        store="agent_webhook_deliveries",
        fields=(
            "subject_ref",
            "state",
            "attempts",
            "next_at",
            "last_status",
            "last_error",
            "created_at",
            "delivered_at",
        ),  # fmt: skip
        purpose="Tell the business's own systems that your call with its agent ended (what "
        "the call's record says, sent from it when due and never kept here a second time), "
        "retried until they answer, and show the business whether they did. Kept 30 days.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(30),
        timestamp="keep_until",
        expires_field="keep_until",
        processors=("the business's own systems, at the address it gave",),
        subject=SubjectKind.PHONE,
        subject_field="subject_ref",
    ),
)

# Run first by an erasure request: what a processor holds is deleted there too.
ERASERS = (erase_voices,)
# Run by the sweeper before it deletes voice rows: the voice is deleted at the provider too.
RELEASERS = {"custom_voices": release_voices}


def processors(settings: Settings) -> list[Processor]:
    """The hosted services the operator configured (each offline by default, then nobody)."""
    agents = settings.agents
    hosted: list[tuple[str | None, str, str, tuple[str, ...]]] = [
        (
            agents.stt_url if agents.stt == "hosted" else None,
            "Hosted speech-to-text",
            "turns what callers say into text; it receives the call's audio",
            (CALLS, EVALUATIONS),
        ),
        (
            agents.llm_url,
            "Hosted language model",
            "writes the agent's replies and chooses its actions during calls; it receives "
            "the call's transcript as the call goes (card numbers, national ids and dates of "
            "birth removed), the agent's knowledge base and what the business's tools answer",
            (CALLS, EVALUATIONS),
        ),
        (
            agents.tts_url if agents.tts == "hosted" else None,
            "Hosted text-to-speech",
            "speaks the agent's replies; it receives what the agent says",
            (CALLS,),
        ),
        (
            agents.voice_clone_url,
            "Hosted voice provider",
            "makes and speaks custom voices; it receives the voice samples",
            (VOICE_SAMPLES, CUSTOM_VOICES),
        ),
    ]
    return [
        Processor(f"{what} at {urlsplit(url).hostname}", does, categories)
        for url, what, does, categories in hosted
        if url
    ]
