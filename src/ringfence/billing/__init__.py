"""Billing: a double-entry credits ledger, per-destination rates, and Stripe payments."""
