"""What rules decide better than similarity: an opt-out (a legal duty, so never left to a
score), a request to be called back (close in meaning to "don't call me", and its opposite),
asking for a person, asking to book (or for an errand the business does not run), who a message
is for, and the parts of an utterance that asks for two things.

An opt-out must be honoured whatever the wording (47 CFR 64.1200(d)(3): a do-not-call request
is recorded at once); a call-back request must never be taken for one. Both are matched on the
words as a speech recogniser writes them (lower case, no punctuation, "ring" and "phone" for
"call").
"""

from __future__ import annotations

import re

_CALL = r"(call|calls|calling|ring|ringing|phone|phoning|contact|contacting|bother|bothering)"
_ME = r"(me|us|this number|my number|here|this house)"

OPT_OUT = re.compile(
    "|".join(
        (
            rf"\bstop ((these|the|your|all|those|bloody|with the) )?({_CALL}|calls)\b",
            rf"\b(do not|don'?t|dont|never|no longer) (\w+ )?{_CALL} {_ME}\b"
            r"(?! (back|later|tomorrow|tonight|again (later|tomorrow|next)))",
            rf"\b{_CALL} {_ME} (again|any ?more)\b(?! (later|tomorrow|next))",
            rf"\b(don'?t|dont|do not|never) (want|wish) to be {_CALL}ed\b",
            r"\b(don'?t|dont|do not|never) (want|wish)( to (receive|get|have|take))?"
            r"( (any|these|your|more|further))*( \w+)? (calls|phone calls)\b",
            r"\b(no|any) (more|further) (\w+ )?calls\b",
            r"\b(take|remove|delete|erase|lose|scrub) (me|my (number|details|name|data))\b"
            r"(?! (for|to) )",
            r"\bopt (me )?out\b",
            r"\b(don'?t|dont|do not|never) (call|ring|phone) back\b",
            r"\bunsubscribe\b",
            r"\bdo ?not ?call (list|register)\b",
            rf"\b(wish|want|like) (you )?to stop ((these|the|your|all) )?{_CALL}",
            rf"\brather you (did ?n[o']?t|didn'?t) {_CALL}\b",
            r"\b(off|from) (your|the) (list|calling list|call list|database|records|system)\b",
        )
    )
)

# "Call me back later", "ring me tomorrow", "can the vet phone me on Friday", "get Mike to call
# me": a call wanted, so a message for the business.
CALL_BACK = re.compile(
    r"\b(call|ring|phone|bell)(ing)? (me|us)( back)? ?"
    r"(back|later|tomorrow|tonight|today|this|in |on |at |after|next|before|when|about|urgently)"
    r"|\b(give me|get me) a (call|ring|bell) back\b"
    r"|\b(to|will|can|could|should|must) (call|ring|phone|get back to) (me|us)\b"
    r"|\bget back to (me|us)\b"
    r"|\b(call|ring|phone) (me|us) back\b"
)
# A call wanted at a time ("don't call me now, call me back tomorrow"): never an opt-out.
CALL_AT = re.compile(r"\b(call|ring|phone) (me|us) (back )?(later|tomorrow|on|at|in|after|next)\b")

# Asked to be called back by whoever is calling, at a time or later: "call me back tomorrow at
# three", "could you ring me in an hour", "try me again later", "now's not a good time". Not
# when someone else is to call ("can the manager call me back", "ask Dr Patel to ring me"): a
# message for them.
CALL_ME_BACK = re.compile(
    r"\b(try|call|ring|phone)( me| us)?( again| back) "
    r"(later|tomorrow|tonight|today|in |on |at |after|next|this|some|another|around|about)"
    r"|\btry (me|us) (again|later|tomorrow|tonight|in |on |at |after|next)"
    r"|\b(not a (good|great|convenient) time|(a )?bad time( to talk)?)\b"
    r"|\b(i'?m|i am|we'?re) (busy|driving|at work|in a meeting) (right )?now\b"
    r"|\bcan'?t (talk|speak) (right )?now\b"
)
BY_OTHER = re.compile(
    rf"\b(someone|somebody|anyone|anybody|the \w+|your \w+|him|her|them|he|she|they) "
    rf"(to |could |can |will |would |should |must )?({_CALL}|get back)\b"
)

_TITLES = {
    "dr": "Dr",
    "doctor": "Dr",
    "mr": "Mr",
    "mister": "Mr",
    "mrs": "Mrs",
    "missus": "Mrs",
    "ms": "Ms",
    "miss": "Ms",
    "professor": "Professor",
}
_TITLE = r"(?:dr|doctor|mr|mister|mrs|missus|ms|miss|professor)\.?"
_NAME = r"[A-Z][a-z'-]+"
_NOT_NAMES = frozenset(
    "I I'm I'll I've I'd Hello Hi Yes No Please Thanks The It Monday Tuesday Wednesday Thursday "
    "Friday Saturday Sunday January February March April May June July August September "
    "October November December".split()
)

_NOT_PLAIN = frozenset(  # after "a message for", not a name
    "the a an my our your his her their him them me us someone somebody anyone anybody "
    "whoever everyone".split()
)

# Who a message is for: "let Dr Patel know", "tell Sarah", "a message for mister sing",
# "ask Mike to call me", "Ms Hart's client", "pass it on to Dave".
_FOR = re.compile(
    rf"\b(?:let|tell|telling|inform|remind|ask|get|give|for|four|to|from) "
    rf"(?P<person>(?i:{_TITLE}) \w[\w'-]*|{_NAME})"
    rf"|\b(?i:message|massage|messidge|messag|note) (?i:for|four) "
    rf"(?P<plain>(?!{_TITLE} )[a-z][a-z'-]+)\b"
    rf"|(?P<owner>(?i:{_TITLE}) \w[\w'-]*|{_NAME})(?:'s| s) (?:client|call|patient|customer)"
)
MESSAGE_SHAPED = re.compile(
    r"\b(let (him|her|them|\w+ \w+|\w+) know|tell (?!me\b|us\b|you\b)\w+|"
    r"(leave|take|pass|give|got) (\w+ ){0,2}(a |an )?(message|massage|messidge|messag|note)|"
    r"pass (it|this|that) on|(returning|return) (\w+ )?call|needs? (him|her|them)? ?to call|"
    r"(get|ask) (him|her|them|\w+ \w+|\w+) to (call|ring|phone))"
)
TRANSFER = re.compile(
    r"\b(put|get) me (through|threw|thru)\b|\bconnect me\b|\btransfer me\b"
    r"|\b(speak|talk|speaking|talking) (to|with) (a|an|the|your|someone|somebody|one of|whoever)\b"
    r"|\b(real|actual) (person|human)|\bhuman being\b"
)

# Asking to book: the words of booking with a request ("can I book", "I'd like an appointment").
BOOK = re.compile(
    r"\b(can|could|may) (i|we|you|someone|somebody) (\w+ ){0,3}"
    r"(book|reserve|appointment|\w*pointment|reservation|slot|fit (me|us|him|her) in)"
    r"|\bsend (someone|somebody|an? \w+) (round|over|out|on|to|this|next|tomorrow)"
    r"|\b(i'?d|i would|we'?d|i|we) (like|want|wanna|need)( to)? (\w+ ){0,2}"
    r"(book|reserve|an appointment|\w*pointment|a reservation|a table|a slot)"
)
# Asks for a thing the business does not do: "book me a flight", "order me a taxi".
ERRAND = re.compile(
    r"\b(book|order|get|call|find) (me|us) an? (flight|taxi|cab|hotel|holiday|train|uber|plane)"
)


def is_opt_out(text: str) -> bool:
    """Whether the caller asks not to be called again (a call-back request never is)."""
    words = _plain(text)
    return bool(OPT_OUT.search(words)) and not CALL_AT.search(words)


def is_call_back(text: str) -> bool:
    """Asked to be called back (a message for the business)."""
    return bool(CALL_BACK.search(_plain(text)))


def is_call_back_request(text: str) -> bool:
    """Asked to be called back by the one calling, later or at a time (never an opt-out);
    "can the manager call me back" is a message for the manager instead."""
    words = _plain(text)
    asked = CALL_ME_BACK.search(words) or CALL_BACK.search(words)
    return bool(asked) and not BY_OTHER.search(words) and not person(text)


def is_transfer_shaped(text: str) -> bool:
    """Asked for a person: "put me through", "speak to the manager", "a real person"."""
    return bool(TRANSFER.search(_plain(text)))


def is_booking(text: str) -> bool:
    """Asked to book with the words of booking (not "book me a flight")."""
    words = _plain(text)
    return bool(BOOK.search(words)) and not ERRAND.search(words)


def is_errand(text: str) -> bool:
    return bool(ERRAND.search(_plain(text)))


def is_message_shaped(text: str) -> bool:
    """Asked to pass something on: "let her know", "tell Dave", "leave a message"."""
    return bool(MESSAGE_SHAPED.search(_plain(text)))


def person(text: str) -> str:
    """The person a message is for, as "Dr Patel" or "Sarah"; "" when none is named."""
    for found in _FOR.finditer(text.strip()):
        name = found.group("person") or found.group("owner") or found.group("plain")
        if name.lower() in _NOT_PLAIN:
            continue
        parts = name.replace(".", "").split()
        if parts[0].lower() in _TITLES:
            if len(parts) < 2:
                continue
            return f"{_TITLES[parts[0].lower()]} {parts[1].capitalize()}"
        if parts[0] not in _NOT_NAMES and found.start() != 0:
            return parts[0].capitalize()
    return ""


def clauses(text: str) -> list[str]:
    """The parts of what was said that may each ask for something: split at punctuation and at
    "and", "but", "also", "so"; parts of fewer than three words are dropped."""
    parts = re.split(r"[,;?.!]+|\b(?:and|but|also|so|then)\b", text)
    return [p.strip() for p in parts if len(p.split()) >= 3]


def _plain(text: str) -> str:
    """Lower case, ’ as ', no punctuation but apostrophes, single spaces."""
    text = text.lower().replace("\u2019", "'")
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text).split())
