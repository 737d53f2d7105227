"""What a caller wants, from the words they said: a small classifier over sentence embeddings.

A softmax regression (multinomial logistic regression) on the multilingual-e5-small vectors of
``examples.EXAMPLES``, with the agent's own knowledge-base questions added to ``question``, so
that each agent's classifier knows its business's questions. It is trained when an agent's
dialogue is made (a few hundred rows of 384 numbers: well under a second of numpy), from data in
the repository: nothing is downloaded, and the same examples give the same weights.

Centred vectors (the examples' mean taken off) and a small L2 penalty; full-batch gradient
descent at a fixed step, from zero weights, so training is deterministic.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import NDArray

from ringfence.services.agents.dialogue.examples import EXAMPLES
from ringfence.speech.embeddings import Embedder, Vector

INTENTS: tuple[str, ...] = tuple(EXAMPLES)
STEP = 5.0
EPOCHS = 600
L2 = 1e-4

_EXAMPLE_VECTORS: dict[int, NDArray[np.float32]] = {}  # by embedder, computed once
_lock = threading.Lock()


def example_vectors(embedder: Embedder) -> NDArray[np.float32]:
    """The examples' vectors, in ``INTENTS`` order, embedded once per embedder."""
    with _lock:
        found = _EXAMPLE_VECTORS.get(id(embedder))
        if found is None:
            found = embedder.queries([phrase for name in INTENTS for phrase in EXAMPLES[name]])
            _EXAMPLE_VECTORS[id(embedder)] = found
        return found


def _labels(extra_questions: int) -> NDArray[np.int64]:
    counts = [len(EXAMPLES[name]) for name in INTENTS]
    labels = np.repeat(np.arange(len(INTENTS)), counts)
    return np.concatenate([labels, np.full(extra_questions, INTENTS.index("question"))])


class IntentClassifier:
    """``probabilities(vector)``: how likely each of ``INTENTS`` is, summing to 1."""

    def __init__(self, examples: NDArray[np.float32], questions: NDArray[np.float32]) -> None:
        rows = np.vstack([examples, questions]) if len(questions) else examples
        labels = _labels(len(questions))
        self._mean = examples.mean(axis=0)
        x = np.hstack([rows - self._mean, np.ones((len(rows), 1), dtype=np.float32)])
        target = np.eye(len(INTENTS), dtype=np.float32)[labels]
        weights = np.zeros((x.shape[1], len(INTENTS)), dtype=np.float32)
        # einsum, not @: numpy's BLAS would start a pool of threads that spin on the call's
        # cores after training, and starve the live pipeline (voice activity, recognition).
        for _ in range(EPOCHS):
            error = _softmax(np.einsum("ij,jk->ik", x, weights)) - target
            weights -= STEP * (np.einsum("ji,jk->ik", x, error) / len(x) + L2 * weights)
        self._weights = weights

    @classmethod
    def for_agent(cls, embedder: Embedder, questions: list[str]) -> IntentClassifier:
        asked = embedder.queries(questions) if questions else np.zeros((0, 384), np.float32)
        return cls(example_vectors(embedder), asked)

    def probabilities(self, heard: Vector) -> dict[str, float]:
        x = np.append(heard - self._mean, np.float32(1.0))
        scores = _softmax((x @ self._weights)[None, :])[0]
        return {name: float(p) for name, p in zip(INTENTS, scores, strict=True)}


def _softmax(z: NDArray[np.float32]) -> NDArray[np.float32]:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: NDArray[np.float32] = e / e.sum(axis=1, keepdims=True)
    return out
