"""The export read out for a person: plain titles and field names, human dates, secrets named
not shown, the inventory's order."""

from __future__ import annotations

from babel import Locale

from ringfence.privacy.inventory import Category, Inventory, LegalBasis, Retention, SubjectKind
from ringfence.web.export_summary import field_words, summarise, value_words

EN = Locale.parse("en_GB")


def _category(name: str, fields: tuple[str, ...]) -> Category:
    return Category(
        name=name, service="platform", title=f"Your {name}", store=name, fields=fields,
        purpose="Because.", legal_basis=LegalBasis.CONTRACT,
        retention=Retention.duration(30), subject=SubjectKind.ACCOUNT, subject_field="subject_ref",
    )  # fmt: skip


def test_values_in_words() -> None:
    assert field_words("verified_at") == "Verified at"
    assert value_words("at", "2026-12-02T07:53:00+00:00", EN) == "2 Dec 2026, 07:53 UTC"
    assert value_words("day", "2026-12-02", EN) == "2 Dec 2026"
    assert value_words("password_hash", "$argon2id$v=19$...", EN).startswith("kept, not shown")
    assert value_words("number", {"base64": "AAAA"}, EN).startswith("a file or encrypted")
    assert value_words("granted", True, EN) == "yes"
    assert value_words("payload", {}, EN) == "—" and value_words("x", None, EN) == "—"
    assert value_words("note", "x" * 500, EN).endswith("(whole in the download)")


def test_sections_follow_the_inventory_with_declared_fields() -> None:
    inventory = Inventory([_category("account", ("email", "created_at")), _category("calls", ())])
    export = {
        "data": {
            "calls": {"title": "t", "records": [{"subject_ref": "account:1", "cost": 3}]},
            "account": {"title": "t", "records": [
                {"subject_ref": "account:1", "email": "a@b.org", "created_at": "2026-12-02",
                 "role": "user"}]},
            "gone": {"title": "t", "records": [{"x": 1}]},
        }
    }  # fmt: skip
    sections = summarise(export, inventory, EN)
    assert [s.name for s in sections] == ["account", "calls"]
    assert sections[0].title == "Your account"
    assert sections[0].rows == [[("Email", "a@b.org"), ("Created at", "2 Dec 2026")]]
    assert sections[1].rows == [[("Cost", "3")]]  # nothing declared: every field but "you"
