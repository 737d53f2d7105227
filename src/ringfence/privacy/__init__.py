"""Privacy core: what personal data exists, why, for how long, and what a person may ask for."""

from ringfence.privacy.redact import Redacted, mask_phone_numbers

__all__ = ["Redacted", "mask_phone_numbers"]
