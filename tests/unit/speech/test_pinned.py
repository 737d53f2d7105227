"""Model files are checked against their pinned SHA-256 before they load."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.errors import ConfigurationError
from ringfence.speech.pinned import verified


def test_a_model_file_that_differs_from_its_pin_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "hibari"
    (folder / "assets").mkdir(parents=True)
    (folder / "assets" / "hibari.onnx").write_bytes(b"not the model")
    with pytest.raises(ConfigurationError, match="does not match its pinned SHA-256"):
        verified(str(folder), "assets/hibari.onnx")
    with pytest.raises(ConfigurationError, match="no pinned SHA-256"):
        verified(str(folder), "assets/other.onnx")
