"""An agent in a file: parsed with what the CLI and the benchmark need, refused with a message
that says what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.errors import InvalidInput
from ringfence.services.agents.dialogue.knowledge import AgentFile

DATA = Path(__file__).resolve().parents[5] / "tests" / "data" / "dialogue" / "knowledge"


def test_every_evaluation_business_parses() -> None:
    files = sorted(DATA.glob("*.json"))
    assert len(files) == 5
    for path in files:
        agent = AgentFile.parse(path.read_text())
        assert agent.business and len(agent.knowledge) == len(agent.ids) >= 7
        assert all(agent.ids)


def test_a_minimal_file() -> None:
    agent = AgentFile.parse('{"business": " Acme ", "knowledge": []}')
    assert (agent.business, agent.knowledge, agent.slots, agent.transfer_number) == (
        "Acme", [], [], None
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "must be a JSON object"),
        ('{"knowledge": []}', '"business"'),
        ('{"business": "A"}', '"knowledge"'),
        ('{"business": "A", "knowledge": [{"question": "q"}]}', 'entry 1 needs an "answer"'),
        ('{"business": "A", "knowledge": ["q"]}', "entry 1 must be an object"),
        ('{"business": "A", "knowledge": [], "slots": [1]}', '"slots"'),
        ('{"business": "A", "knowledge": [], "transfer_number": 1}', '"transfer_number"'),
    ],
)
def test_a_bad_file_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        AgentFile.parse(text)
    assert message in raised.value.message


def test_the_evaluation_set_names_entries_that_exist() -> None:
    ids = {p.stem: set(AgentFile.parse(p.read_text()).ids) for p in DATA.glob("*.json")}
    for split in ("dev", "heldout"):
        lines = (DATA.parent / f"{split}.jsonl").read_text().splitlines()
        rows = [json.loads(line) for line in lines]
        assert len(rows) >= 150
        for row in rows:
            assert row["expect"] in ("answer", "book", "message", "call_back", "transfer",
                                     "opt_out", "end", "off_topic", "clarify")  # fmt: skip
            assert ("entry" in row) == (row["expect"] == "answer")
            assert row.get("entry", "") in ids[row["business"]] | {""}
