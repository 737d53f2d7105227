"""Privacy core: what personal data exists, why, for how long, and what a person may ask for.

Column markers live in ``ringfence.store.columns`` and log masking in ``ringfence.redact``: both
sit below the store, which this package builds on."""
