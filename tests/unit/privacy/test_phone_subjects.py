"""Which categories a phone number finds, from the inventory alone, and how holdings split by
business."""

from __future__ import annotations

from pathlib import Path

from ringfence.privacy.categories import build_inventory
from ringfence.privacy.phone_subjects import Holding, PhoneSubjects, by_tenant


def test_the_categories_found_by_a_number_come_from_the_declarations(tmp_path: Path) -> None:
    found = {c.name for c in PhoneSubjects(build_inventory(), b"k" * 32, tmp_path).categories()}
    # the core's call records and recordings, the proofs, and every service's phone categories
    assert {"call_record", "call_recording", "phone_proof", "campaign_contact"} <= found
    assert {"agent_call", "do_not_call", "ring_denylist", "business_numbers"} <= found
    # ring's share of the call records is found through the core's category, not twice
    assert "ring_call_record" not in found
    # categories about accounts or browsers are not
    assert not {"account", "dial_call", "ring_log", "consent_record"} & found


def test_holdings_split_by_business_and_drop_what_belongs_to_none() -> None:
    holdings = [
        Holding("campaign_contact", "Contacts", "agents", 3, {"t1": 2, "t2": 1}),
        Holding("call_record", "Call records", "telephony", 4),
        Holding("agent_call", "Calls", "agents", 1, {"t2": 1}),
    ]
    split = by_tenant(holdings)
    assert sorted(split) == ["t1", "t2"]
    assert [(h.category, h.records) for h in split["t1"]] == [("campaign_contact", 2)]
    assert [(h.category, h.records) for h in split["t2"]] == [
        ("campaign_contact", 1),
        ("agent_call", 1),
    ]
