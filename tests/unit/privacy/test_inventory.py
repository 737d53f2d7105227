"""Every persisted column says whether it holds personal data, and every category it names is
declared with a real store; the inventory and the policy agree."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Table

from ringfence.privacy.categories import build_inventory
from ringfence.privacy.inventory import Category, Inventory, LegalBasis, Retention, SubjectKind
from ringfence.store.base import Base
from ringfence.store.columns import PERSONAL_DATA
from ringfence.store.schema import target_metadata


def _tables() -> list[Table]:
    return list(target_metadata().tables.values())


def test_every_column_declares_its_data_category() -> None:
    undeclared = [
        f"{t.name}.{c.name}" for t in _tables() for c in t.columns if PERSONAL_DATA not in c.info
    ]
    assert undeclared == [], "tag these columns with personal(...) or NOT_PERSONAL"


def test_every_personal_column_belongs_to_a_declared_category_of_its_table() -> None:
    inventory = build_inventory()
    for table in _tables():
        for column in table.columns:
            category = column.info[PERSONAL_DATA]
            if category is None:
                continue
            assert category in inventory, f"{table.name}.{column.name}: {category} undeclared"
            assert inventory[category].store == table.name, (table.name, category)


def test_every_stored_category_is_backed_by_its_table_and_columns() -> None:
    tables = target_metadata().tables
    for category in build_inventory():
        if not category.stored:
            assert category.store == ""
            continue
        if category.is_file_store or category.is_log_store:
            continue
        table = tables[category.store]
        for name in (*category.fields, category.timestamp, category.subject_field):
            if name:
                assert name in table.c, f"{category.name}: no column {name}"
        if category.retention.rule == "duration":
            assert category.timestamp, f"{category.name} needs a timestamp to expire"


def test_retention_overrides_apply_and_unknown_ones_are_refused() -> None:
    inventory = build_inventory().with_retention({"audit_log": 400})
    assert inventory["audit_log"].retention.days == 400
    assert inventory.fingerprint() != build_inventory().fingerprint()
    with pytest.raises(KeyError, match="nope"):
        build_inventory().with_retention({"nope": 3})


def test_declaring_a_name_twice_differently_is_an_error() -> None:
    first = Category(
        name="x",
        service="platform",
        title="X",
        store="",
        fields=(),
        purpose="p",
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.never_stored(),
        subject=SubjectKind.NONE,
    )
    inventory = Inventory([first])
    with pytest.raises(ValueError, match="declared twice"):
        inventory.declare(Category(**{**first.__dict__, "title": "Y"}))


def test_plain_language() -> None:
    assert Retention.duration(730).plain == "2 years"
    assert Retention.duration(30).plain == "30 days"
    assert Retention.subscription_plus(30).plain == (
        "while the business uses the service, and 30 days after it stops"
    )
    assert Retention.never_stored().plain.startswith("never stored")
    assert LegalBasis.LEGAL_OBLIGATION.article == "GDPR art. 6(1)(c)"
    assert Base.metadata is target_metadata()


def test_an_event_anchored_retention_expires_rows_by_the_end_the_event_wrote() -> None:
    voices = build_inventory()["custom_voice"]
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    # Each row's end (``keep_until``) is written when the business closes: due once past it.
    assert Inventory().expires_before(voices, now) == now
    assert voices.retention.plain.endswith("and 30 days after it stops")
    unanchored = Category(
        name="x",
        service="platform",
        title="x",
        store="x",
        fields=(),
        purpose="x",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.subscription_plus(30),
    )
    with pytest.raises(ValueError, match="subscription_plus needs expires_field"):
        Inventory([unanchored])
