"""Tenants: businesses with members in roles, and the scoping that keeps each one's data its own
(PostgreSQL row-level security, the same rule in the query layer on SQLite)."""
