"""Contacts in and out of the address book as files other address books read: vCard 4.0 (RFC
6350) and CSV (``name,number,note``, RFC 4180).

Reading keeps to what the book holds: a card's formatted name (``FN``, §6.2.1), its first
telephone (``TEL``, §6.4.1, a ``tel:`` URI or text) and its ``NOTE`` (§6.7.2); the rest of a card
is skipped. Every entry is checked as if typed (``ContactIn.checked``) by the caller.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from ringfence.errors import InvalidInput

CSV_COLUMNS = ("name", "number", "note")
MAX_BYTES = 1_000_000  # a file of a thousand cards with photos stripped fits well under this
_FOLD = 75  # octets a vCard line holds before it is folded (RFC 6350 §3.2)


@dataclass(frozen=True)
class Entry:
    """One contact as a file holds it, before it is checked; ``where`` names it in an error."""

    name: str
    number: str
    note: str
    where: str


def _escape(text: str) -> str:
    """RFC 6350 §3.4: backslash, comma, semicolon and newline escaped in a text value."""
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _unescape(text: str) -> str:
    out, chars = [], iter(text)
    for c in chars:
        if c == "\\":
            nxt = next(chars, "")
            out.append("\n" if nxt in ("n", "N") else nxt)
        else:
            out.append(c)
    return "".join(out)


def _fold(line: str) -> str:
    """RFC 6350 §3.2: lines longer than 75 octets continue on lines that start with a space,
    never splitting a UTF-8 character."""
    parts, current, size = [], "", 0
    for c in line:
        width = len(c.encode())
        if size + width > _FOLD:
            parts.append(current)
            current, size = " ", 1
        current += c
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def vcards(contacts: Iterable[tuple[str, str, str]]) -> str:
    """``(name, E.164 number, note)`` as vCard 4.0 cards."""
    lines: list[str] = []
    for name, number, note in contacts:
        lines += ["BEGIN:VCARD", "VERSION:4.0", f"FN:{_escape(name)}"]
        lines.append(f"TEL;VALUE=uri;TYPE=voice:tel:{number}")
        if note:
            lines.append(f"NOTE:{_escape(note)}")
        lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def csv_text(contacts: Iterable[tuple[str, str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(contacts)
    return out.getvalue()


def read(text: str) -> list[Entry]:
    """The entries of a vCard file or of a CSV file with a ``name,number[,note]`` header."""
    if len(text.encode()) > MAX_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_BYTES // 1_000_000} MB")
    if text.lstrip("\ufeff \r\n\t").upper().startswith("BEGIN:VCARD"):
        return _read_vcards(text)
    return _read_csv(text)


def _read_vcards(text: str) -> list[Entry]:
    unfolded = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\n ", "").replace("\n\t", "")
    entries: list[Entry] = []
    card: dict[str, str] | None = None
    for line in unfolded.split("\n"):
        head, sep, value = line.partition(":")
        if not sep:
            continue
        prop = head.split(";")[0].split(".")[-1].upper()  # "item1.TEL;TYPE=cell" is TEL
        if prop == "BEGIN" and value.strip().upper() == "VCARD":
            card = {}
        elif prop == "END" and card is not None:
            where = f"card {len(entries) + 1}"
            entries.append(
                Entry(card.get("FN", ""), card.get("TEL", ""), card.get("NOTE", ""), where)
            )
            card = None
        elif card is not None and prop in ("FN", "TEL", "NOTE") and prop not in card:
            if prop == "TEL":
                value = value.strip().removeprefix("tel:").split(";")[0]  # tel:+44...;ext=2
            card[prop] = _unescape(value)
    if not entries:
        raise InvalidInput("the file holds no complete vCard (BEGIN:VCARD … END:VCARD)")
    return entries


def _read_csv(text: str) -> list[Entry]:
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in rows.fieldnames or []]
    if "name" not in header or "number" not in header:
        raise InvalidInput("a CSV file needs a first line naming its columns: name,number,note")
    rows.fieldnames = header
    entries = []
    for row in rows:
        where = f"line {rows.line_num}"
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue  # a blank line
        entries.append(Entry(row["name"] or "", row["number"] or "", row.get("note") or "", where))
    if not entries:
        raise InvalidInput("the file holds no contacts")
    return entries
