"""The outbox's files: newest first, filtered by recipient, private, in the recipient's folder
where the rights requests and the sweeper look."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

from ringfence.accounts.outbox import Outbox
from ringfence.accounts.privacy import OUTBOX_CATEGORY
from ringfence.privacy.files import subject_folder

T0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def test_newest_first_with_a_limit_and_a_recipient(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    for minute, to in enumerate(["ada@example.org", "bob@example.org", "ada@example.org"]):
        outbox.put(
            to,
            f"mail {minute}",
            f"link https://x/{minute}",
            subject_ref=f"account:{to}",
            at=T0 + dt.timedelta(minutes=minute),
        )
    assert [m.subject for m in outbox.newest(10)] == ["mail 2", "mail 1", "mail 0"]
    assert [m.subject for m in outbox.newest(2)] == ["mail 2", "mail 1"]
    mine = outbox.newest(10, to=" ADA@example.org")
    assert [(m.to, m.body) for m in mine] == [
        ("ada@example.org", "link https://x/2"),
        ("ada@example.org", "link https://x/0"),
    ]
    assert mine[0].at == T0 + dt.timedelta(minutes=2)
    assert outbox.newest(10, to="nobody@example.org") == []


def test_an_empty_or_missing_outbox_has_nothing(tmp_path: Path) -> None:
    assert Outbox(tmp_path / "never-made").newest(5) == []
    assert Outbox(tmp_path).newest(0) == []


def test_mails_are_private_files_in_the_recipients_folder(tmp_path: Path) -> None:
    mail = Outbox(tmp_path).put("ada@example.org", "s", "b", subject_ref="account:a1", at=T0)
    folder = subject_folder(tmp_path, OUTBOX_CATEGORY, "account:a1")
    (path,) = folder.iterdir()  # no temporary file left behind
    assert path.name.endswith(f"-{mail.id}.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
