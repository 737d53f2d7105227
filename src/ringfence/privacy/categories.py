"""The platform's own categories of personal data. Each service declares its own in its package
(``ringfence.services.<name>.privacy``) on the same inventory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ringfence.privacy.inventory import (
    Category,
    Delete,
    Inventory,
    LegalBasis,
    Processor,
    Retention,
    SubjectKind,
)

if TYPE_CHECKING:
    from ringfence.settings import Settings

PLATFORM = (
    Category(
        name="job_payload",
        service="platform",
        title="Failed background jobs",
        store="job_failures",
        fields=("args", "error_message"),
        purpose="Let an operator see and re-run background work that failed.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(30),
        timestamp="failed_at",
    ),
    Category(
        name="audit_log",
        service="platform",
        title="Audit log of actions on personal data",
        store="audit_log",
        fields=("actor_id", "subject_ref", "detail"),
        purpose="Prove who did what to personal data, including how rights requests were "
        "answered and what the retention sweeper removed.",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.duration(730),
        timestamp="at",
        subject=SubjectKind.ANON,
        subject_field="subject_ref",
        legal_hold="kept to show the request was carried out (GDPR art. 5(2) accountability)",
    ),
    Category(
        name="consent_record",
        service="platform",
        title="Your consent choices",
        store="consent_records",
        fields=("subject_ref", "purpose", "granted", "method", "at"),
        purpose="Remember and prove what you agreed to or declined, including Global Privacy "
        "Control signals.",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.duration(395),
        timestamp="at",
        subject=SubjectKind.ANON,
        subject_field="subject_ref",
    ),
    Category(
        name="rights_request",
        service="platform",
        title="Your privacy requests and their receipts",
        store="rights_requests",
        fields=("kind", "subject_ref", "received_at", "payload", "receipt"),
        purpose="Answer access, export, rectification, erasure, restriction and objection "
        "requests within the legal deadlines, and prove that we did.",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.duration(1095),
        timestamp="received_at",
        subject=SubjectKind.ANON,
        subject_field="subject_ref",
        legal_hold="kept to prove the request was answered (GDPR art. 12 and 5(2))",
    ),
    Category(
        name="data_key",
        service="platform",
        title="Encryption keys for your data",
        store="data_keys",
        fields=("subject_ref", "wrapped_key"),
        purpose="Encrypt your recordings, transcripts and files at rest; destroying the key "
        "makes every copy unreadable, backups included.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.while_("as long as the data it protects; destroyed on erasure"),
        at_expiry=Delete(),
        subject=SubjectKind.ANON,
        subject_field="subject_ref",
    ),
    Category(
        name="visitor_id",
        service="platform",
        title="Anonymous visitor id",
        store="",
        fields=("rf_anon cookie",),
        purpose="A random id, set in a cookie when you use a service or make a privacy choice. It "
        "carries nothing about you; it names you for requests about your anonymous data and "
        "counts your actions against abuse limits (the server keeps it only inside the records "
        "described here, hashed where they say so).",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.on_device(365),
    ),
    Category(
        name="access_log",
        service="platform",
        title="Server logs of web requests",
        store="log:access",
        fields=(
            "client network (your IP address cut short: its last part removed)",
            "time",
            "method and path (never the query)",
            "status",
        ),
        purpose="Keep the service running and secure: find faults and trace attacks and abuse "
        "back to the network they come from. Logs never hold what you typed, phone numbers, "
        "tokens or codes; they are files on the server, readable only by its operator, rotated "
        "daily and removed when they expire.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        # RINGFENCE_LOG__KEEP_DAYS (Privacy.inventory sets it from that setting): the log's
        # rotation and the sweeper both enforce it.
        retention=Retention.duration(7),
    ),
    Category(
        name="processing_restriction",
        service="platform",
        title="Your restrictions of and objections to processing",
        store="processing_restrictions",
        fields=("subject_ref", "kind", "since"),
        purpose="Honour your request to restrict or object to processing.",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.while_("until you lift it"),
        subject=SubjectKind.ANON,
        subject_field="subject_ref",
    ),
    Category(
        name="breach_record",
        service="platform",
        title="Register of personal-data breaches",
        store="breaches",
        fields=("what", "recorded_by"),
        purpose="Document every breach of personal data, its effects and what was done about it, "
        "and whether the supervisory authority and the people affected were told.",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.duration(5 * 365 + 1),
        timestamp="recorded_at",
    ),
)


# The access log's fields when the operator keeps whole addresses (RINGFENCE_LOG__CLIENT_IP=raw).
RAW_ACCESS_FIELDS = ("client IP address", "time", "method and path (never the query)", "status")


def build_inventory() -> Inventory:
    """The platform's categories and every installed service's."""
    import importlib

    from ringfence.privacy.registry import privacy_modules

    inventory = Inventory(PLATFORM)
    for module_name in privacy_modules():
        module = importlib.import_module(module_name)
        for category in module.CATEGORIES:
            inventory.declare(category)
    return inventory


def build_processors(settings: Settings) -> list[Processor]:
    """The processors this installation's settings configure (``processors(settings)`` of the
    privacy modules): the carriers, Stripe, the SMTP relay, hosted speech and language models."""
    import importlib

    from ringfence.privacy.registry import privacy_modules

    out: list[Processor] = []
    for module_name in privacy_modules():
        declare = getattr(importlib.import_module(module_name), "processors", None)
        if declare is not None:
            out.extend(declare(settings))
    return out


def build_erasers() -> list[Any]:
    """What services do first when a subject's data is erased (``ERASERS`` of their privacy
    modules): ``async (settings, session, subject_ref) -> actions``, for data a processor
    holds that deleting our rows alone would leave behind."""
    import importlib

    from ringfence.privacy.registry import privacy_modules

    out: list[Any] = []
    for module_name in privacy_modules():
        out.extend(getattr(importlib.import_module(module_name), "ERASERS", ()))
    return out


def build_releasers() -> dict[str, Any]:
    """What must be released at a processor before the sweeper deletes rows of a table
    (``RELEASERS`` of the privacy modules: table name → ``async (settings, session,
    condition) -> released``), for data deleting our rows alone would leave behind."""
    import importlib

    from ringfence.privacy.registry import privacy_modules

    out: dict[str, Any] = {}
    for module_name in privacy_modules():
        out.update(getattr(importlib.import_module(module_name), "RELEASERS", {}))
    return out


def build_links() -> list[Any]:
    """How a subject's own records name its other references (``LINKS`` of the privacy
    modules): ``async (settings, vault, session, subject_ref) -> [other refs]``, so that a
    request about an account covers the numbers it proved it answers."""
    import importlib

    from ringfence.privacy.registry import privacy_modules

    out: list[Any] = []
    for module_name in privacy_modules():
        out.extend(getattr(importlib.import_module(module_name), "LINKS", ()))
    return out
