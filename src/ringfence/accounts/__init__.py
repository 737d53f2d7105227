"""Accounts: e-mail sign-up with verification, argon2id passwords, sessions with CSRF tokens,
optional TOTP, password reset, logout everywhere, and deletion."""
