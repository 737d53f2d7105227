"""Tests that attack a real running server, one file per boundary."""
