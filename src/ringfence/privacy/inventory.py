"""The data inventory: every category of personal data ringfence keeps, declared once.

Each ``Category`` says what is kept, where, why, on which legal basis, for how long, what happens
at expiry, whether it is encrypted, who else receives it and how its subject is found. From this
one declaration the platform derives the retention sweeper, the rights requests (export, erase),
the privacy-policy pages and ``/privacy.json``. Columns of the store point back here through
``mapped_column(info=personal("<category>"))`` (``ringfence.store.columns``), and a test fails on
any column that declares nothing, or on a category that no table or file store backs.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ringfence import humanize


class LegalBasis(enum.Enum):
    """GDPR art. 6(1)."""

    CONSENT = "a"
    CONTRACT = "b"
    LEGAL_OBLIGATION = "c"
    LEGITIMATE_INTERESTS = "f"

    @property
    def article(self) -> str:
        return f"GDPR art. 6(1)({self.value})"

    @property
    def plain(self) -> str:
        return {
            "a": "your consent",
            "b": "our contract with you",
            "c": "a legal obligation",
            "f": "our legitimate interests",
        }[self.value]


class SubjectKind(enum.Enum):
    """How a data subject is identified in a category's records."""

    ACCOUNT = "account"  # an account id
    PHONE = "phone"  # an HMAC of the E.164 number, never the number itself
    ANON = "anon"  # the random anonymous id of a browser cookie
    IP = "ip"
    NONE = "none"  # not linkable to a subject (aggregates, system records)


@dataclass(frozen=True)
class Retention:
    """How long records are kept: ``days`` after ``since``; or a special rule."""

    days: int | None = None
    # duration | session | subscription_plus | while | never_stored | device
    rule: str = "duration"
    condition: str = ""  # for "while": as long as what

    @classmethod
    def duration(cls, days: int) -> Retention:
        return cls(days=days)

    @classmethod
    def session(cls) -> Retention:
        return cls(rule="session")

    @classmethod
    def subscription_plus(cls, days: int) -> Retention:
        return cls(days=days, rule="subscription_plus")

    @classmethod
    def never_stored(cls) -> Retention:
        return cls(rule="never_stored")

    @classmethod
    def on_device(cls, days: int) -> Retention:
        """Kept in a cookie on the person's own device, never by the server."""
        return cls(days=days, rule="device")

    @classmethod
    def while_(cls, condition: str) -> Retention:
        """Kept as long as something else is (a data key, as long as the data it protects)."""
        return cls(rule="while", condition=condition)

    @property
    def plain(self) -> str:
        if self.rule == "never_stored":
            return "never stored: relayed and dropped"
        if self.rule == "device":
            return f"on your device only, for {_plain_days(self.days or 0)}; never on our server"
        if self.rule == "session":
            return "until the session ends"
        if self.rule == "while":
            return self.condition
        span = _plain_days(self.days or 0)
        if self.rule == "subscription_plus":
            return f"while the business uses the service, and {span} after it stops"
        return span


def _plain_days(days: int) -> str:
    """In words people use: 2557 days (seven years with their leap days) are "7 years"."""
    return humanize.duration(days * humanize.DAY)


class Expiry:
    """What the sweeper does to an expired record: a small named strategy."""

    name = "expiry"


@dataclass(frozen=True)
class Delete(Expiry):
    name = "delete"


@dataclass(frozen=True)
class Cascade(Delete):
    """Delete the record and, first, every row of every table whose ``column`` holds the
    record's key (a closed business's rows under its ``tenant_id``), the data keys only those
    rows used, and what processors hold for them (the releasers)."""

    column: str = "tenant_id"


@dataclass(frozen=True)
class Anonymise(Expiry):
    """Clear the given fields (set them to NULL), keep the rest (e.g. for statistics)."""

    fields: tuple[str, ...] = ()
    name = "anonymise"


@dataclass(frozen=True)
class Category:
    name: str
    service: str  # "platform" or a service's name
    title: str  # plain language: "Failed background jobs"
    # a table name, "file:<folder under the data dir>", "log:<which>" for lines in the server's
    # rotated log files (their rotation is the retention), or "" when never stored
    store: str
    fields: tuple[str, ...]
    purpose: str
    legal_basis: LegalBasis
    retention: Retention
    timestamp: str = ""  # the column (or file mtime for file stores) retention counts from
    # A column holding each record's own end, where it may differ from ``retention`` (a business
    # that extended its records' retention in writing): the sweeper removes rows past it.
    expires_field: str = ""
    at_expiry: Expiry = field(default_factory=Delete)
    encrypted: bool = False
    processors: tuple[str, ...] = ()
    subject: SubjectKind = SubjectKind.NONE
    subject_field: str = ""  # the column holding the subject's id
    subject_hashed: bool = False  # that column holds subjects.keyed_ref(ref), not the ref
    # The column naming whose data key encrypts an encrypted category's rows when they have no
    # subject of their own (a business's evaluation calls, under the business's key): the
    # sweeper destroys that key once no row names it.
    key_field: str = ""
    legal_hold: str = ""  # why erasure must keep it (said so in the answer), if it must
    rectifiable: tuple[str, ...] = ()  # fields a subject may correct by a rights request
    # (column, value): the category is only the rows of its table holding that value, for a
    # service's share of a core table (ring's call records among telephony's); the sweeper and
    # the counts keep to them. Rights requests find those rows through the core's category.
    rows: tuple[str, str] | None = None
    # Cookies this category lives in on the person's device, as (name, path): withdrawing
    # ``consent_purpose`` deletes them (Set-Cookie with an expiry in the past).
    cookies: tuple[tuple[str, str], ...] = ()
    consent_purpose: str = ""  # the consent (``privacy.consent.PURPOSES``) that covers it
    # A page that corrects the rectifiable fields only with proof (an e-mail address changes
    # once the new one is confirmed); "" when a rights request corrects them directly.
    rectify_via: str = ""
    # Columns kept out of exports: secrets that sign the subject in (a password hash, a session
    # token's hash), which a copy that leaks must not carry; the export says they are withheld.
    withheld: tuple[str, ...] = ()
    # For rows that are another person's records too (an account's call history, the calls
    # made to a number): the only columns a request by *this* subject exports, and the
    # columns its erasure clears instead of deleting the rows (which their other subject keeps).
    shown: tuple[str, ...] = ()
    erase_clears: tuple[str, ...] = ()

    @property
    def stored(self) -> bool:
        return self.retention.rule not in ("never_stored", "device")

    @property
    def is_file_store(self) -> bool:
        return self.store.startswith("file:")

    @property
    def is_log_store(self) -> bool:
        return self.store.startswith("log:")

    @property
    def table(self) -> str | None:
        if self.is_file_store or self.is_log_store or not self.store:
            return None
        return self.store

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "service": self.service,
            "title": self.title,
            "store": self.store,
            "fields": list(self.fields),
            "purpose": self.purpose,
            "legal_basis": self.legal_basis.article,
            "retention": self.retention.plain,
            "retention_days": self.retention.days,
            "at_expiry": self.at_expiry.name,
            "anonymised_fields": list(getattr(self.at_expiry, "fields", ())),
            "encrypted_at_rest": self.encrypted,
            "processors": list(self.processors),
            "subject_identified_by": self.subject.value,
            "legal_hold": self.legal_hold or None,
            "cookies": [name for name, _ in self.cookies],
            "consent_purpose": self.consent_purpose or None,
        }


@dataclass(frozen=True)
class Processor:
    """Someone outside this installation that receives personal data to do a job for it (GDPR
    art. 28): a SIP carrier, Stripe, an SMTP relay, a hosted speech or language model. Declared
    from settings (a privacy module's ``processors(settings)``), so the policy names the ones
    this installation really uses."""

    name: str  # who, as the operator configured it: "Stripe", "SMTP relay mail.example.org"
    does: str  # what for, in plain words
    categories: tuple[str, ...]  # what it receives

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "does": self.does, "categories": list(self.categories)}


class Inventory:
    """The declared categories and the processors configured to receive them; retention can be
    overridden per category by settings."""

    def __init__(
        self, categories: Iterable[Category] = (), processors: Iterable[Processor] = ()
    ) -> None:
        self._by_name: dict[str, Category] = {}
        for category in categories:
            self.declare(category)
        self.processors: tuple[Processor, ...] = ()
        for processor in processors:
            unknown = set(processor.categories) - set(self._by_name)
            if unknown:
                raise ValueError(f"processor {processor.name!r} receives unknown {unknown}")
            self.processors += (processor,)

    def declare(self, category: Category) -> Category:
        if category.name in self._by_name and self._by_name[category.name] != category:
            raise ValueError(f"category {category.name!r} declared twice")
        if category.retention.rule == "subscription_plus" and not category.expires_field:
            # The end is only known when the business stops: the event writes it on each row.
            raise ValueError(f"category {category.name!r}: subscription_plus needs expires_field")
        self._by_name[category.name] = category
        return category

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_name.values())

    def __getitem__(self, name: str) -> Category:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def for_service(self, service: str) -> list[Category]:
        return [c for c in self if c.service == service]

    def with_retention(self, overrides: dict[str, int]) -> Inventory:
        """A copy with durations from settings (``RINGFENCE_PRIVACY__RETENTION``)."""
        unknown = set(overrides) - set(self._by_name)
        if unknown:
            raise KeyError(f"retention set for unknown categories: {', '.join(sorted(unknown))}")
        out = Inventory(processors=())
        for c in self:
            days = overrides.get(c.name)
            if days is None or c.retention.days is None:
                out.declare(c)
            else:
                retention = Retention(days=days, rule=c.retention.rule)
                out.declare(_replace(c, retention=retention))
        out.processors = self.processors
        return out

    def with_processors(self, processors: Iterable[Processor]) -> Inventory:
        """A copy whose categories are received by ``processors`` as well."""
        return Inventory(self, (*self.processors, *processors))

    def receivers(self, category: Category) -> list[str]:
        """Everyone outside the installation who receives ``category``: the declared roles and
        the configured processors."""
        configured = [p.name for p in self.processors if category.name in p.categories]
        return [*category.processors, *configured]

    def replacing(self, name: str, **changes: Any) -> Inventory:
        """A copy with one category's declaration changed (by a setting that changes it)."""
        changed = (_replace(c, **changes) if c.name == name else c for c in self)
        return Inventory(changed, self.processors)

    def fingerprint(self) -> str:
        """Changes whenever anything a policy reader would see changes."""
        declared = [c.to_dict() for c in self] + [p.to_dict() for p in self.processors]
        blob = json.dumps(declared, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def expires_before(self, category: Category, now: dt.datetime) -> dt.datetime | None:
        """Records older than this are due; None when the sweeper does not expire the
        category. A ``subscription_plus`` category counts from an event (a business closing)
        that writes each row's end (``expires_field``): rows past it are due, rows without
        one are kept."""
        if category.retention.days is None:
            return None
        if category.retention.rule == "subscription_plus":
            return now
        if category.retention.rule != "duration":
            return None
        return now - dt.timedelta(days=category.retention.days)


def _replace(category: Category, **changes: Any) -> Category:
    from dataclasses import replace

    return replace(category, **changes)
