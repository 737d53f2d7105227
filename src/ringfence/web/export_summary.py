"""A data export read out for a person: each category by its plain title, its records with the
fields the inventory declares, dates in the reader's language, and anything that is not text a
person reads (a hash, a key, audio) named rather than shown. The JSON download stays the whole
export; this page is its summary."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ringfence import humanize
from ringfence.privacy.inventory import Inventory

SHOWN = 120  # characters of a value shown; longer values are in the download
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?$")
HIDDEN = ("hash", "secret", "key", "token", "signature")  # kept, never shown on a page
SELF = ("subject_ref",)  # the reference that names the reader: "you", not worth a line


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    purpose: str
    rows: list[list[tuple[str, str]]]  # each record: (field in words, value in words)
    files: int


def field_words(name: str) -> str:
    """``verified_at`` → "Verified at"; ``number_tail`` → "Number tail"."""
    return name.replace("_", " ").strip().capitalize()


def value_words(name: str, value: Any, locale: humanize.Locale) -> str:
    if value is None or value == "" or value == {} or value == []:
        return "—"
    if any(word in name for word in HIDDEN):
        return "kept, not shown (in the download)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if "base64" in value:
            return "a file or encrypted data (in the download)"
        return ", ".join(f"{field_words(k)}: {v}" for k, v in value.items())[:SHOWN]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)[:SHOWN]
    text = str(value)
    if isinstance(value, str) and _ISO.match(text):
        moment = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
        return humanize.date(moment, locale)
    return text if len(text) <= SHOWN else text[:SHOWN] + "… (whole in the download)"


def summarise(
    export: dict[str, Any], inventory: Inventory, locale: humanize.Locale
) -> list[Section]:
    """The export's categories, in the inventory's order, each with its declared fields."""
    out: list[Section] = []
    data = export.get("data", {})
    for category in inventory:
        found = data.get(category.name)
        if not found:
            continue
        rows = []
        for record in found.get("records", []):
            fields = [f for f in category.fields if f in record] or sorted(record)
            fields = [f for f in fields if f not in SELF]
            rows.append([(field_words(f), value_words(f, record[f], locale)) for f in fields])
        out.append(
            Section(
                category.name,
                category.title,
                category.purpose,
                rows,
                len(found.get("files", [])),
            )
        )
    return out
