"""Client addresses in logs that must tell clients apart (one line per refused SIP source a
minute, a flood from one address against many): a keyed hash, never the address.

The key is a random secret of this installation for one UTC day, kept in its own file beside the
logs (``<data_dir>/logs/ip-key-<day>``, 0600) and shared by every process on the data dir: the
first process of the day creates it (exclusively: two processes agree on one key), and deletes
the keys of earlier days. So lines of one day can be grouped by client, and once a day's key is
gone its tags cannot be matched to an address even by the operator (an IPv4 address space is
small enough to try every address under a key that is kept). Beside the tag, the address's
network (``logging.truncate_ip``) says where a problem comes from without saying who.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ringfence.clock import Clock
from ringfence.logging import client_host, truncate_ip

PREFIX = "ip-key-"
KEY_BYTES = 32


class IpTags:
    def __init__(self, folder: Path, clock: Clock) -> None:
        self.folder = folder
        self.clock = clock
        self._day: dt.date | None = None
        self._key = b""

    def tag(self, address: str) -> str:
        """``ip:<12 hex>``: the same address gives the same tag all day, another day another."""
        host = client_host(address)
        digest = hmac.new(self._today(), host.encode(), hashlib.sha256).hexdigest()
        return f"ip:{digest[:12]}"

    def describe(self, address: str) -> dict[str, str]:
        """What a log line names of a client: its tag and its network."""
        return {"client": self.tag(address), "network": truncate_ip(address)}

    def _today(self) -> bytes:
        day = self.clock.now().astimezone(dt.UTC).date()
        if day != self._day:
            self._key = self._load(day)
            self._day = day
        return self._key

    def _load(self, day: dt.date) -> bytes:
        """The day's key: made whole in a file of its own, then linked under the day's name,
        which fails when another process linked its key first (then that one is the day's)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / f"{PREFIX}{day.isoformat()}"
        draft = self.folder / f".{PREFIX}{secrets.token_hex(8)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(KEY_BYTES))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
        for old in self.folder.glob(f"{PREFIX}*"):
            if old.name < path.name:
                old.unlink(missing_ok=True)
        return path.read_bytes()
