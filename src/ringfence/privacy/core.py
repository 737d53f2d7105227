"""One object that wires the privacy core from settings, for the web app, jobs and the CLI."""

from __future__ import annotations

from functools import cached_property, partial

from ringfence.clock import Clock, SystemClock
from ringfence.jobs.context import Closer, JobContext
from ringfence.privacy.audit import Audit
from ringfence.privacy.categories import (
    RAW_ACCESS_FIELDS,
    build_erasers,
    build_inventory,
    build_links,
    build_processors,
    build_releasers,
)
from ringfence.privacy.consent import Consents
from ringfence.privacy.crypto import MasterKeys, Vault
from ringfence.privacy.inventory import Inventory
from ringfence.privacy.receipts import ReceiptSigner
from ringfence.privacy.retention import Sweeper
from ringfence.privacy.rights import Rights
from ringfence.settings import Settings
from ringfence.store.database import Database


class Privacy:
    def __init__(self, settings: Settings, db: Database, clock: Clock | None = None) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock or SystemClock()
        self.audit = Audit(self.clock)
        self.consents = Consents(self.clock)

    @cached_property
    def inventory(self) -> Inventory:
        # Access-log lines last as long as the rotated log files do, and name the client as
        # the operator chose (its network by default).
        retention = {**self.settings.privacy.retention, "access_log": self.settings.log.keep_days}
        inventory = build_inventory().with_retention(retention)
        inventory = inventory.with_processors(build_processors(self.settings))
        if self.settings.log.client_ip == "raw":
            inventory = inventory.replacing("access_log", fields=RAW_ACCESS_FIELDS)
        return inventory

    @cached_property
    def vault(self) -> Vault:
        self.settings.ensure_data_dir()
        key_file = self.settings.master_key_path
        configured = self.settings.privacy.master_key
        master = MasterKeys.load(key_file, configured.get_secret_value() if configured else None)
        return Vault(master, self.clock, None if configured else key_file)

    @cached_property
    def signer(self) -> ReceiptSigner:
        return ReceiptSigner.from_file(self.settings.ensure_data_dir() / "receipt_signing.pem")

    def sweeper(self) -> Sweeper:
        return Sweeper(
            self.db,
            self.inventory,
            self.clock,
            data_dir=self.settings.ensure_data_dir(),
            log_files={"access": self.settings.access_log_path},
            batch=self.settings.privacy.sweep_batch,
            releasers={t: partial(r, self.settings) for t, r in build_releasers().items()},
        )

    def rights(self, policy_version: str) -> Rights:
        return Rights(
            self.inventory,
            self.vault,
            self.signer,
            self.clock,
            data_dir=self.settings.ensure_data_dir(),
            jurisdiction=self.settings.privacy.jurisdiction,
            policy_version=policy_version,
            key=self.settings.signing_key(),
            erasers=[partial(eraser, self.settings) for eraser in build_erasers()],
            links=[partial(link, self.settings, self.vault) for link in build_links()],
        )


async def job_privacy(ctx: JobContext) -> Privacy:
    """A worker thread's one privacy core (its inventory and master key loaded once), on the
    thread's own database handle."""

    async def make(ctx: JobContext) -> tuple[Privacy, Closer]:
        async def nothing() -> None:
            return None

        return Privacy(ctx.settings, ctx.db, ctx.clock), nothing

    return await ctx.resource("privacy", make)
