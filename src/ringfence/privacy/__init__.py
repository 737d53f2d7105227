"""Privacy core: what personal data exists, why, for how long, and what a person may ask for."""

from ringfence.privacy.inventory import NOT_PERSONAL, personal
from ringfence.privacy.redact import Redacted, mask_phone_numbers

__all__ = ["NOT_PERSONAL", "Redacted", "mask_phone_numbers", "personal"]
