"""``ringfence agents``: try an agent in text, without a server.

``ringfence agents try --knowledge FILE`` reads what a caller says from stdin, one utterance a
line, and prints one JSON line per utterance with the agent's decision: ``kind`` (answer, book,
message, transfer, opt_out, end, off_topic, clarify), the knowledge entry it answered from
(``matched``), the person a message is for, what it says (``reply``), how sure it was
(``confidence``) and what it does after (``then``: transfer, hangup, opt_out). The lines are one
call, as on the phone (a booking asks for a time, then a name, then confirms); a call that ends
starts a new one. ``--each`` makes every line the first thing said on a new call.

With a language model set (``RINGFENCE_AGENTS__LLM_URL``) the model answers, as on a call, and
``by`` says who decided each line ("model", or "offline": the offline rules' opt-out, a step of
a booking or a message, or a turn the model failed). The business's HTTP tools are not called
from here (nothing is stored without a server): the agent's page tries those.

The embedding model and everything under it load only when the command runs.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ringfence.errors import InvalidInput, RingfenceError

if TYPE_CHECKING:
    from ringfence.services.agents.dialogue.conversation import Conversation
    from ringfence.services.agents.dialogue.knowledge import AgentFile
    from ringfence.services.agents.dialogue.offline import Dialogue
    from ringfence.settings import AgentSettings

app = typer.Typer(help="AI phone agents: try one in text.", no_args_is_help=True)
stderr = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    stderr.print(f"ringfence: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


@app.callback()
def agents() -> None:
    """AI phone agents: try one in text."""


@app.command("try")
def try_agent(
    knowledge: Annotated[
        Path,
        typer.Option(
            help='The agent as JSON: {"business": ..., "knowledge": [{"question": ..., '
            '"answer": ...}], "slots": [...], "transfer_number": ...}.',
        ),
    ],
    each: Annotated[
        bool, typer.Option("--each", help="Every line is the first thing said on a new call.")
    ] = False,
) -> None:
    """What the agent decides for each line of stdin, as one JSON line each."""
    from ringfence.logging import configure_logging
    from ringfence.services.agents.dialogue.knowledge import AgentFile
    from ringfence.services.agents.dialogue.offline import Dialogue
    from ringfence.settings import load_settings
    from ringfence.speech.embeddings import default_embedder

    try:
        settings = load_settings()
    except RingfenceError as exc:
        raise _fail(exc.message) from None
    configure_logging(settings.log)  # to standard error: the output is the decisions
    try:
        agent = AgentFile.parse(knowledge.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(f"cannot read {knowledge}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _fail(f"{knowledge} is not UTF-8 text") from None
    except InvalidInput as exc:
        raise _fail(f"{knowledge}: {exc.message}") from None
    dialogue = Dialogue(default_embedder(), agent.business, agent.knowledge)
    asyncio.run(_try(agent, dialogue, settings.agents, each))


async def _try(agent: AgentFile, dialogue: Dialogue, settings: AgentSettings, each: bool) -> None:
    from ringfence.services.agents.dialogue.conversation import Step

    call = _call(agent, dialogue, settings)
    for line in sys.stdin:
        said = line.strip()
        if not said:
            continue
        if each:
            call = _call(agent, dialogue, settings)
        step = Step("")
        async for part in call.reply(said):
            step = part if isinstance(part, Step) else step
        turn = step.turn
        assert turn is not None  # a reply always says its decision
        decision = {
            "said": said,
            "kind": turn.kind,
            "matched": turn.matched,
            "person": turn.person,
            "reply": step.say,
            "confidence": round(turn.score, 3),
            "then": step.then,
            "by": turn.by,
        }
        print(json.dumps(decision), flush=True)  # noqa: T201 - the command's output
        if step.then:
            call = _call(agent, dialogue, settings)  # the call ended (or went to a person)


def _call(agent: AgentFile, dialogue: Dialogue, settings: AgentSettings) -> Conversation:
    from ringfence.services.agents.dialogue.conversation import Conversation
    from ringfence.services.agents.dialogue.model import language_model

    talk = Conversation(
        dialogue,
        dialogue.embedder,
        agent.business,
        greeting="How can I help?",
        disclosure=f"You are speaking with an automated assistant for {agent.business}.",
        slots=list(agent.slots),
        transfer_to=agent.transfer_number,
        model=language_model(settings, agent.business, "", agent.knowledge),
    )
    talk.opening()  # said first on a call: the model hears it was
    return talk
