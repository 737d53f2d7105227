"""The outbox: account e-mails kept in the data dir for the operator when no SMTP server is set.

Each mail is one JSON file in ``<data dir>/outbox/<subject folder>/``, the folder of its
recipient as a data subject (``privacy.files.subject_folder``), so the retention sweeper removes
it after the inventory's retention (``mail_outbox``, counted from the file's mtime) and the rights
requests export and erase it with the rest of the recipient's data. Nothing reads it but the
operator: ``ringfence outbox`` and the operator console, through ``Outbox.newest``::

    outbox = Outbox(settings.ensure_data_dir())
    for mail in outbox.newest(10):
        print(mail.at, mail.to, mail.subject, mail.body)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from ringfence.accounts.privacy import OUTBOX_CATEGORY
from ringfence.privacy.files import subject_folder

_STAMP = "%Y%m%dT%H%M%S%fZ"  # file names sort by time: <stamp>-<id>.json


@dataclass(frozen=True)
class OutboxMail:
    """One mail waiting in the outbox."""

    id: str
    at: dt.datetime  # when it was put there (UTC)
    to: str
    subject: str
    body: str


class Outbox:
    """The outbox of the installation whose data directory is ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.directory = data_dir / OUTBOX_CATEGORY.store.removeprefix("file:")

    def put(
        self, to: str, subject: str, body: str, *, subject_ref: str, at: dt.datetime
    ) -> OutboxMail:
        """Keep a mail for ``to``, filed under its data subject ``subject_ref``."""
        mail = OutboxMail(secrets.token_hex(8), at.astimezone(dt.UTC), to, subject, body)
        folder = subject_folder(self.data_dir, OUTBOX_CATEGORY, subject_ref)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{mail.at.strftime(_STAMP)}-{mail.id}.json"
        record = {**asdict(mail), "at": mail.at.isoformat()}
        # Written whole under a temporary name, then renamed: a reader never sees half a mail.
        partial = folder / f".{name}.part"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(record, file, ensure_ascii=False)
        partial.rename(folder / name)
        return mail

    def newest(self, limit: int = 20, *, to: str | None = None) -> list[OutboxMail]:
        """The mails still kept, newest first; only those to ``to`` (any case) if given."""
        if limit < 1 or not self.directory.is_dir():
            return []
        paths = sorted(self.directory.glob("*/*.json"), key=lambda p: p.name, reverse=True)
        wanted = to.strip().lower() if to else None
        found: list[OutboxMail] = []
        for path in paths:
            mail = _read(path)
            if mail is None or (wanted is not None and mail.to.lower() != wanted):
                continue
            found.append(mail)
            if len(found) == limit:
                break
        return found


def _read(path: Path) -> OutboxMail | None:
    """The mail in a file, or None when the sweeper took it meanwhile."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return OutboxMail(
        id=str(record["id"]),
        at=dt.datetime.fromisoformat(record["at"]),
        to=str(record["to"]),
        subject=str(record["subject"]),
        body=str(record["body"]),
    )
