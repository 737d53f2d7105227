"""A CallScore report as a person reads it: a real report from the scorer, rendered by the
page's template; values in words and times in the call, never raw JSON or ISO timestamps."""

from __future__ import annotations

import json
import re

from starlette.requests import Request

from ringfence.services.agents.evaluations.scoring import Heard, Said, score
from ringfence.services.agents.manifest import SERVICE
from ringfence.services.agents.web.words import WORDS, say
from ringfence.web.pages import make_templates


def _heard() -> Heard:
    return Heard(
        business="Harbour Dental",
        answered_after=6.24,
        lines=[
            Said("business", 0.8, 4.0, "Harbour Dental, this is Anna speaking, how can I help?"),
            Said("shopper", 4.5, 6.0, "How much is a check-up?", asks="price"),
            Said("business", 7.4, 9.0, "A check-up costs forty pounds. Please come in."),
            Said("shopper", 70.0, 72.0, "And when are you open?", asks="hours"),
            Said("business", 83.0, 85.0, "Hold on, one moment."),
        ],
    )


def _render(evaluation: dict[str, object]) -> str:
    env = make_templates([SERVICE]).env
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    page = env.get_template("agents/evaluation.html")
    return page.render(request=request, tenant_id="t1", business="Harbour Dental",
                       e=evaluation, say=say, words=WORDS)  # fmt: skip


def test_the_report_says_results_and_measures_in_words() -> None:
    report = score(_heard())
    transcript = [{"speaker": s.speaker, "start": s.start, "end": s.end, "text": s.text}
                  for s in _heard().lines]  # fmt: skip
    html = _render({
        "business": "Harbour Dental", "number": "+442079460123", "state": "done",
        "score": report["score"], "rubric_version": "1", "report": report,
        "transcript": transcript, "requested_at": "2026-12-02T07:53:00+00:00",
        "history": {"earlier": 1, "mean": 70.0},
    })  # fmt: skip
    text = re.sub(r"<[^>]+>", "", html)
    assert "2026-12-02T07:53" not in text and "Dec 2, 2026" in text  # a date, not ISO
    assert 'data-state="done">Scored</strong>' in html
    assert f"score {report['score']} out of 100" in text
    assert "6.2 s" in text  # answered after, with its unit
    assert "1 of 2 answered" in text  # questions, not "1/2"
    assert "2 holds" in text and "0 interruptions" in text
    assert "True" not in text and "False" not in text and "None" not in text
    assert "heard" in text and "not heard" in text
    assert "at 1:23" in text  # the hold's evidence: a time in the call
    assert "Mystery shopper" in text and "Your business" in text
    assert "{" not in text and json.dumps(report["signals"][0]) not in html
