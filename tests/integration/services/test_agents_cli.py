"""``ringfence agents try`` as a user runs it: a subprocess reading what a caller says on stdin
and printing one JSON decision a line; a bad knowledge file is a one-line error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ringfence.testing.openai_server import Reply, chat_server

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
DENTAL = REPO / "tests" / "data" / "dialogue" / "knowledge" / "dental.json"


def agents_try(
    *args: str, said: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RINGFENCE_")}
    return subprocess.run(
        [sys.executable, "-m", "ringfence", "agents", "try", *args],
        input=said,
        env={**clean, "RINGFENCE_DATA_DIR": str(data_dir), **(env or {})},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,  # the embedding model and the classifier load on a shared machine
    )


def test_each_utterance_prints_the_agents_decision(tmp_path: Path) -> None:
    said = "\n".join(
        (
            "when do you open on saturday",
            "can you let Dr Patel know I called",
            "my crown came loose",
            "what's the weather like",
            "",
            "can I book a check up",
            "Friday morning",
            "it's Sam Jones",
            "yes please",
            "please never ring this number again",
            "call me back later",
        )
    )
    result = agents_try("--knowledge", str(DENTAL), said=said, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["said"] for d in lines][:4] == [
        "when do you open on saturday", "can you let Dr Patel know I called",
        "my crown came loose", "what's the weather like",
    ]  # fmt: skip
    kinds = [d["kind"] for d in lines]
    assert kinds == ["answer", "message", "message", "off_topic", "book", "book", "book", "book",
                     "opt_out", "call_back"]  # fmt: skip
    hours, ask, taken, weather, _, _, name, booked, opt_out, call_back = lines
    assert hours["matched"] == "What are your opening hours?" and "9 am to 1 pm" in hours["reply"]
    assert 0 < hours["confidence"] <= 1
    assert ask["person"] == "Dr Patel" and "pass your message on to Dr Patel" in taken["reply"]
    assert "8 am" not in weather["reply"] and "Riverside Dental Practice" in weather["reply"]
    assert name["reply"] == "So that's Friday 09:00 for Sam Jones. Shall I book it?"
    assert "booked for Friday 09:00" in booked["reply"]
    assert opt_out["then"] == "opt_out" and "not be called again" in opt_out["reply"]
    # The call ended with the opt-out: "call me back later" starts a new one, a call-back.
    assert call_back["then"] == ""


def test_a_language_model_decides_when_one_is_set(tmp_path: Path) -> None:
    """With ``RINGFENCE_AGENTS__LLM_URL`` set the model answers (streamed, over HTTP to a local
    OpenAI-compatible server) and says who decided; the opt-out stays the offline rules'."""
    said = "do you do teeth whitening\nplease never ring this number again\n"
    with chat_server() as model:
        model.script(Reply(text="Yes, we do. It costs two hundred pounds.", delay=0.01))
        env = {"RINGFENCE_AGENTS__LLM_URL": model.base, "RINGFENCE_AGENTS__LLM_MODEL": "local"}
        result = agents_try("--knowledge", str(DENTAL), said=said, data_dir=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    whitening, opt_out = (json.loads(line) for line in result.stdout.splitlines())
    assert (whitening["kind"], whitening["by"]) == ("answer", "model")
    assert whitening["reply"] == "Yes, we do. It costs two hundred pounds."
    assert (opt_out["kind"], opt_out["by"], opt_out["then"]) == ("opt_out", "offline", "opt_out")
    [request] = model.requests
    assert request.body["messages"][-1]["content"] == "do you do teeth whitening"
    assert "Riverside Dental Practice" in request.body["messages"][0]["content"]


def test_each_flag_makes_every_line_a_new_call(tmp_path: Path) -> None:
    said = "can I book a check up\nFriday morning\n"
    result = agents_try("--knowledge", str(DENTAL), "--each", said=said, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    second = json.loads(result.stdout.splitlines()[1])
    assert second["kind"] != "book" or "what name" not in second["reply"]


def test_a_bad_knowledge_file_is_one_line_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "agent.json"
    bad.write_text('{"business": "Acme", "knowledge": [{"question": "hours?"}]}')
    result = agents_try("--knowledge", str(bad), said="hello", data_dir=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == f'ringfence: {bad}: knowledge entry 1 needs an "answer"'
    missing = agents_try("--knowledge", str(tmp_path / "none.json"), said="", data_dir=tmp_path)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
