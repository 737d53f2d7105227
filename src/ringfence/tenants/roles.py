"""Roles of a business's members and what each may do."""

from __future__ import annotations

from ringfence.errors import Forbidden, InvalidInput

ROLES = ("owner", "admin", "agent-editor", "analyst", "viewer")
PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset(
        {
            "tenant.manage",
            "members.manage",
            "numbers.manage",
            "agents.edit",
            "agents.read",
            "calls.read",
            "recordings.read",
        }  # fmt: skip
    ),
    "admin": frozenset(
        {
            "members.manage",
            "numbers.manage",
            "agents.edit",
            "agents.read",
            "calls.read",
            "recordings.read",
        }
    ),
    "agent-editor": frozenset({"agents.edit", "agents.read", "calls.read"}),
    "analyst": frozenset({"agents.read", "calls.read", "recordings.read"}),
    "viewer": frozenset({"agents.read"}),
}


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    return role


def require(role: str, permission: str) -> None:
    if permission not in PERMISSIONS.get(role, frozenset()):
        raise Forbidden(f"your role ({role}) may not do this ({permission})")
