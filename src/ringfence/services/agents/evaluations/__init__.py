"""Evaluation calls ("CallScore"): the evaluations a business asks for and their reports
(``service``), the mystery shopper that places the call (``shopper``), and the pure scoring on
the published rubric (``scoring``, ``rubrics/callscore-N.json``).
"""

from __future__ import annotations

from ringfence.services.agents.evaluations.scoring import CURRENT, Heard, Said, rubric, score
from ringfence.services.agents.evaluations.service import EVALUATION_JOB, Evaluations
from ringfence.services.agents.evaluations.shopper import QUESTIONS, Question, evaluate, scenario

__all__ = [
    "CURRENT",
    "EVALUATION_JOB",
    "QUESTIONS",
    "Evaluations",
    "Heard",
    "Question",
    "Said",
    "evaluate",
    "rubric",
    "scenario",
    "score",
]
