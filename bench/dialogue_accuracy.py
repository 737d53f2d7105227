"""Benchmark: how often the offline dialogue step decides what a receptionist should.

Method. ``tests/data/dialogue`` holds five businesses (``knowledge/*.json``) and what callers
say to them, each line labelled with the expected action (``answer`` with the knowledge entry,
``book``, ``message`` with the person when one is named, ``call_back``, ``transfer``,
``opt_out``, ``end``, ``off_topic``, ``clarify``) and the kind of wording (paraphrase, indirect,
asr_error, multi_intent, off_topic, hostile, opt_out, call_back). Each utterance is one first
turn of a new call: the business's ``Dialogue`` (real embedding model, classifier trained as at
run time) decides, and the decision is right when its kind is the label's, its entry the
labelled one for an answer, and its person the labelled one when the label names someone (case
aside).

``dev.jsonl`` is the split the thresholds and examples were tuned on; ``heldout.jsonl`` was
written with it, before the code, and is never tuned on. Printed per split: accuracy per kind of
wording and overall, opt-outs missed (an opt-out not recognised) and false opt-outs (anything
else taken for one, "call me back later" among them) and call-backs missed (a request to be
called back taken for anything else). ``--failures`` lists the dev split's
wrong decisions (never the held-out's).

Run: ``PYTHONPATH=src .venv/bin/python bench/dialogue_accuracy.py [--failures]``
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from ringfence.services.agents.dialogue.knowledge import AgentFile
from ringfence.services.agents.dialogue.offline import Dialogue, Turn
from ringfence.speech.embeddings import default_embedder

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "dialogue"


def right(row: dict[str, str], turn: Turn, agent: AgentFile) -> bool:
    if turn.kind != row["expect"]:
        return False
    if turn.kind == "answer":
        return agent.ids[[q for q, _ in agent.knowledge].index(turn.matched)] == row["entry"]
    if row.get("person"):
        return turn.person.lower() == row["person"].lower()
    return True


def run(split: str, failures: bool) -> None:
    rows = [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text().splitlines()]
    agents: dict[str, AgentFile] = {}
    dialogues: dict[str, Dialogue] = {}
    by_kind: dict[str, list[bool]] = defaultdict(list)
    missed = false_opt_outs = call_backs_missed = 0
    for row in rows:
        name = row["business"]
        if name not in dialogues:
            agents[name] = AgentFile.parse((DATA / "knowledge" / f"{name}.json").read_text())
            agent = agents[name]
            dialogues[name] = Dialogue(default_embedder(), agent.business, agent.knowledge)
        turn = dialogues[name].respond(row["said"])
        ok = right(row, turn, agents[name])
        by_kind[row["kind"]].append(ok)
        missed += row["expect"] == "opt_out" and turn.kind != "opt_out"
        false_opt_outs += row["expect"] != "opt_out" and turn.kind == "opt_out"
        call_backs_missed += row["expect"] == "call_back" and turn.kind != "call_back"
        if failures and not ok:
            want = f"{row['expect']} {row.get('entry') or row.get('person') or ''}".strip()
            got = f"{turn.kind} {turn.matched or turn.person}".strip()
            print(f"  {row['kind']:12} want {want}, got {got}: {row['said']}")
    every = [ok for oks in by_kind.values() for ok in oks]
    print(f"{split}: {len(every)} utterances")
    for kind in sorted(by_kind):
        oks = by_kind[kind]
        print(f"  {kind:13} {sum(oks):3}/{len(oks):3}  {100 * sum(oks) / len(oks):5.1f} %")
    print(f"  {'overall':13} {sum(every):3}/{len(every):3}  {100 * sum(every) / len(every):5.1f} %")
    print(f"  opt-outs missed: {missed}; false opt-outs: {false_opt_outs}; "
          f"call-backs missed: {call_backs_missed}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list the dev split's misses")
    args = parser.parse_args()
    run("dev", args.failures)
    run("heldout", failures=False)


if __name__ == "__main__":
    main()
