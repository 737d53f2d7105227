"""agents keeps no personal data yet: agent definitions and knowledge bases are a business's own
configuration (calls, recordings and transcripts come with the voice pipeline)."""

from __future__ import annotations

CATEGORIES = ()
