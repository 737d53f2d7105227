"""The intent classifier: trained from the repository's examples (plus an agent's questions),
deterministic, and right on the examples it learnt from."""

from __future__ import annotations

import numpy as np
import pytest

from ringfence.services.agents.dialogue.examples import EXAMPLES
from ringfence.services.agents.dialogue.intents import INTENTS, IntentClassifier, example_vectors
from ringfence.speech.embeddings import default_embedder


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return example_vectors(default_embedder())


def test_every_intent_has_examples_and_the_vectors_match_them(vectors: np.ndarray) -> None:
    assert set(INTENTS) == {"question", "book", "message", "transfer", "opt_out", "end",
                            "off_topic", "vague"}  # fmt: skip
    assert all(len(EXAMPLES[name]) >= 10 for name in INTENTS)
    assert vectors.shape == (sum(len(v) for v in EXAMPLES.values()), 384)


def test_training_is_deterministic_and_fits_its_examples(vectors: np.ndarray) -> None:
    first = IntentClassifier(vectors, vectors[:0])
    second = IntentClassifier(vectors, vectors[:0])
    labels = [name for name in INTENTS for _ in EXAMPLES[name]]
    right = 0
    for vector, label in zip(vectors, labels, strict=True):
        chances = first.probabilities(vector)
        assert chances == second.probabilities(vector)
        assert abs(sum(chances.values()) - 1.0) < 1e-5
        right += max(chances, key=lambda name: chances[name]) == label
    assert right / len(labels) > 0.95


def test_an_agents_questions_teach_it_its_business() -> None:
    embedder = default_embedder()
    questions = ["Do you service boilers?", "Is your work guaranteed?"]
    classifier = IntentClassifier.for_agent(embedder, questions)
    chances = classifier.probabilities(embedder.query("is your work guaranteed"))
    assert max(chances, key=lambda name: chances[name]) == "question"
