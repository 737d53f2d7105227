"""CallScore: an evaluation call scored on the published rubric (``rubrics/callscore-N.json``).

Pure: it takes what the call left (when it was answered, who said what and when) and gives
each signal of the rubric its result and its evidence, a time in the call and a quote, so a
business can see why. Every report names the rubric version it was scored with.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

RUBRICS = Path(__file__).parent / "rubrics"
CURRENT = "1"
FAST_ANSWER = 15.0
GREETING_WITHIN = 3.0
PROMPT_REPLY = 3.0
HOLD_SILENCE = 8.0

# What a reply to each kind of question holds when it answers it.
ANSWERS = {
    "price": re.compile(r"\d|pounds?|dollars?|euros?|\bfree\b|costs?|\bprice|\b(two|three|"
                        r"four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|"
                        r"hundred)\b", re.I),
    "hours": re.compile(r"\d|open|close|morning|evening|afternoon|a\.?m\.?|p\.?m\.?|o'clock|"
                        r"monday|tuesday|wednesday|thursday|friday|saturday|sunday", re.I),
    "appointment": re.compile(r"\d|available|slot|book|appointment|monday|tuesday|wednesday|"
                              r"thursday|friday|saturday|sunday|tomorrow|today|morning|"
                              r"afternoon|o'clock", re.I),
}  # fmt: skip
GIVES_NAME = re.compile(
    r"\bthis is \w+|\bmy name is \w+|\w+ speaking\b|\byou'?re speaking (to|with)", re.I
)
OFFERS_HELP = re.compile(r"\bhelp\b|what can i do", re.I)
HOLD = re.compile(r"\bhold\b|one moment|just a moment|one second|just a second", re.I)
BOOKING = re.compile(r"\bbook|appointment|schedule|come in\b", re.I)
UPSELL = re.compile(r"\boffer|package|upgrade|discount|\balso\b|special", re.I)
POLITE = re.compile(r"\bplease\b|thank|\bwelcome\b|pleasure", re.I)
CALL_BACK = re.compile(r"call you back|get back to you|ring you back|call back", re.I)
CLOSING = re.compile(r"\bbye\b|goodbye|have a (nice|good|great|lovely)", re.I)


@dataclass(frozen=True)
class Said:
    speaker: str  # business | shopper
    start: float  # seconds from the answer
    end: float
    text: str
    asks: str = ""  # for the shopper's questions: price | hours | appointment


@dataclass
class Heard:
    """What an evaluation call left, as scoring needs it."""

    business: str
    answered_after: float | None  # seconds from the INVITE; None: never answered
    lines: list[Said] = field(default_factory=list)


@cache
def rubric(version: str = CURRENT) -> dict[str, Any]:
    path = RUBRICS / f"callscore-{version}.json"
    if not re.fullmatch(r"\d+", version) or not path.is_file():
        raise KeyError(version)
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _evidence(line: Said | None, quote: str = "") -> dict[str, Any]:
    if line is None:
        return {"at": None, "quote": quote}
    return {"at": round(line.start, 1), "quote": (quote or line.text)[:200]}


def _first(lines: list[Said], pattern: re.Pattern[str]) -> Said | None:
    return next((line for line in lines if pattern.search(line.text)), None)


def _signals(heard: Heard) -> dict[str, tuple[bool, Any, dict[str, Any]]]:
    """Each signal: passed, its measured value, its evidence."""
    lines = sorted(heard.lines, key=lambda line: line.start)
    business = [line for line in lines if line.speaker == "business"]
    shopper = [line for line in lines if line.speaker == "shopper"]
    out: dict[str, tuple[bool, Any, dict[str, Any]]] = {}
    answered = heard.answered_after
    out["time_to_answer"] = (answered is not None and answered <= FAST_ANSWER,
                             round(answered, 1) if answered is not None else None,
                             {"at": 0.0, "quote": ""})  # fmt: skip
    first = lines[0] if lines else None
    greeted = first is not None and first.speaker == "business" and first.start <= GREETING_WITHIN
    greeting = first if greeted else None
    out["greeting"] = (greeted, round(first.start, 1) if first else None, _evidence(greeting))
    words = [w for w in re.findall(r"[a-z]{4,}", heard.business.lower())]
    names = greeting is not None and any(w in greeting.text.lower() for w in words)
    out["greeting_names_business"] = (names, names, _evidence(greeting))
    gives = greeting is not None and bool(GIVES_NAME.search(greeting.text))
    out["greeting_gives_name"] = (gives, gives, _evidence(greeting))
    helps = greeting is not None and bool(OFFERS_HELP.search(greeting.text))
    out["greeting_offers_help"] = (helps, helps, _evidence(greeting))

    questions = [line for line in shopper if line.asks]
    replies: list[tuple[Said, Said | None]] = []
    for question in questions:
        reply = next((b for b in business if b.start >= question.end - 0.2), None)
        later = [q for q in questions if q.start > question.start]
        if reply is not None and later and reply.start >= later[0].start:
            reply = None  # nothing said before the next question
        replies.append((question, reply))
    good = [(q, r) for q, r in replies if r is not None and ANSWERS[q.asks].search(r.text)]
    first_miss = next((q for q, r in replies if (q, r) not in good), None)
    out["questions_answered"] = (
        bool(questions) and len(good) == len(questions),
        f"{len(good)}/{len(questions)}",
        _evidence(good[0][1] if good and first_miss is None else first_miss),
    )
    waits = [r.start - q.end for q, r in replies if r is not None]
    mean = sum(waits) / len(waits) if waits else None
    out["answer_latency"] = (mean is not None and mean <= PROMPT_REPLY,
                             round(mean, 1) if mean is not None else None,
                             _evidence(replies[0][1] if replies else None))  # fmt: skip
    holds = [b for b in business if HOLD.search(b.text)]
    silent = [q for q, r in replies if r is None or r.start - q.end > HOLD_SILENCE]
    hold_at = holds[0] if holds else (silent[0] if silent else None)
    out["hold"] = (not holds and not silent, len(holds) + len(silent), _evidence(hold_at))
    for name, pattern in (("offer_of_booking", BOOKING), ("upsell", UPSELL),
                          ("politeness", POLITE), ("call_back_promise", CALL_BACK),
                          ("closing", CLOSING)):  # fmt: skip
        found = _first(business, pattern)
        out[name] = (found is not None, found is not None, _evidence(found))
    over = [b for b in business for s in shopper if s.start < b.start < s.end - 0.3]
    out["no_interruption"] = (not over, len(over), _evidence(over[0] if over else None))
    return out


def score(heard: Heard, version: str = CURRENT) -> dict[str, Any]:
    """The report: the rubric version, the score (0-100, the passed signals' weights over all),
    and every signal with its result and evidence."""
    spec = rubric(version)
    measured = _signals(heard)
    signals, total, earned = [], 0, 0
    for signal in spec["signals"]:
        passed, value, evidence = measured[signal["id"]]
        total += signal["weight"]
        earned += signal["weight"] if passed else 0
        signals.append({"id": signal["id"], "title": signal["title"], "passed": passed,
                        "value": value, "weight": signal["weight"],
                        "evidence": evidence})  # fmt: skip
    return {
        "rubric": f"{spec['name']} {spec['version']}",
        "rubric_version": spec["version"],
        "score": round(100 * earned / total, 1) if total else 0.0,
        "signals": signals,
    }
