"""Where file stores keep a subject's files: one folder per subject, named by a hash of the
subject reference, so the rights requests and the sweeper find them without an index."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ringfence.privacy.inventory import Category


def subject_folder(data_dir: Path, category: Category, subject_ref: str) -> Path:
    if not category.is_file_store:
        raise ValueError(f"category {category.name} is not a file store")
    safe = hashlib.sha256(subject_ref.encode()).hexdigest()[:32]
    return data_dir / category.store.removeprefix("file:") / safe
