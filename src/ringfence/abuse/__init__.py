"""Abuse controls and geo: proof-of-work captcha, rate limits, the client's IP and its country."""
