"""Subject references: how a data subject is named in every table, without personal data.

A reference is ``"<kind>:<id>"``: ``anon:<random id from a cookie>``, ``account:<account id>``,
or ``phone:<HMAC-SHA256 of the E.164 number>``, so a phone number is never stored to find its
records, yet the same number always maps to the same reference. Categories declared
``subject_hashed`` hold ``keyed_ref(ref)`` instead, which rights requests compute the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from ringfence.errors import InvalidInput

ANON_COOKIE = "rf_anon"
_ANON_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def new_anon_id() -> str:
    return secrets.token_urlsafe(24)


def anon_ref(anon_id: str) -> str:
    if not _ANON_ID.match(anon_id):
        raise InvalidInput("not an anonymous id")
    return f"anon:{anon_id}"


def account_ref(account_id: str) -> str:
    return f"account:{account_id}"


def ip_ref(ip: str) -> str:
    return f"ip:{ip}"


def keyed_ref(ref: str, key: bytes) -> str:
    """An HMAC of a subject reference, for records that must not hold even an anonymous id or
    an IP address (abuse counters, ring logs); the same subject always gets the same value."""
    digest = hmac.new(key, b"ref:" + ref.encode(), hashlib.sha256).hexdigest()
    return f"h:{digest}"


def phone_ref(e164: str, key: bytes) -> str:
    digest = hmac.new(key, e164.encode(), hashlib.sha256).hexdigest()
    return f"phone:{digest}"
