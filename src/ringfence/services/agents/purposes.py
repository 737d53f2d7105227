"""What agents does with a person's data that a restriction or an objection may stop
(``ringfence.privacy.processing``): asked before a campaign dials someone, before a number is
evaluated, before the receptionist listens to a caller at all, and before a hosted model hears
one."""

from __future__ import annotations

from ringfence.privacy.inventory import LegalBasis
from ringfence.privacy.processing import Purpose

# Calls on the business's behalf to people on its lists: consent, and direct marketing.
CAMPAIGN_CALL = Purpose("agents.campaign_call", LegalBasis.CONSENT, direct_marketing=True)
# A mystery-shopper call scoring how a number is answered: the business's legitimate interest.
EVALUATION = Purpose("agents.evaluation", LegalBasis.LEGITIMATE_INTERESTS)
# What a caller says sent to a hosted speech-to-text or dialogue model (a processor); without
# it the offline models on this server answer the call.
HOSTED_MODELS = Purpose("agents.hosted_models", LegalBasis.LEGITIMATE_INTERESTS)
# The receptionist answering a caller with an agent: listening, recognising what they say
# (with any model, ours included), recording and keeping the transcript, for the business that
# runs it. A restricted or objecting caller gets only a short notice (``calls.receptionist``).
ANSWERING = Purpose("agents.answering", LegalBasis.LEGITIMATE_INTERESTS)
