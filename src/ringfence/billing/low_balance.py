"""The low-balance e-mail: one message when an account's credit falls below its threshold, and
none again until it has been topped up to the threshold or above.

Whoever moves a wallet calls ``observe`` after its transaction: a balance at or above the
threshold arms the alert, one below it while armed sends the e-mail (through the outbox by
default, ``accounts.mail``) and disarms it. An account nobody has seen above the threshold is
not armed, so a new account with no credit is not told its balance is low. The threshold is
the installation's (``billing.low_balance``) unless the account chose its own, or no e-mail.
Only people's wallets are watched: a business's credit is the business page's to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.accounts.addresses import Addresses
from ringfence.accounts.mail import Mailer
from ringfence.accounts.models import Account
from ringfence.billing.ledger import Ledger, wallet
from ringfence.billing.models import LowBalanceAlert
from ringfence.billing.receipts import money
from ringfence.errors import InvalidInput, RingfenceError
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import account_ref

log = get_logger(__name__)
MAX_THRESHOLD = 1_000_000  # minor units: 10,000.00


@dataclass(frozen=True)
class Choice:
    enabled: bool
    threshold: int  # minor units, in force (the account's or the installation's)
    own: bool  # the account chose the amount


class LowBalance:
    def __init__(self, privacy: Privacy) -> None:
        settings, clock = privacy.settings, privacy.clock
        self.db = privacy.db
        self.clock = clock
        self.addresses = Addresses.of(privacy)
        self.mailer = Mailer(settings, clock)
        self.ledger = Ledger(clock)
        self.default = settings.billing.low_balance
        self.currency = settings.billing.currency.upper()
        self.credit_page = settings.web.public_url.rstrip("/") + "/account/credit"

    async def choice(self, account_id: str) -> Choice:
        async with self.db.session() as session:
            row = await session.get(LowBalanceAlert, account_ref(account_id))
        return self._choice(row)

    def _choice(self, row: LowBalanceAlert | None) -> Choice:
        if row is None:
            return Choice(self.default > 0, self.default, own=False)
        threshold = self.default if row.threshold is None else row.threshold
        return Choice(row.enabled and threshold > 0, threshold, own=row.threshold is not None)

    async def choose(self, account_id: str, *, enabled: bool, threshold: int | None) -> Choice:
        """The account's choice: e-mail or not, below its own amount (None: the default)."""
        if threshold is not None and not 0 < threshold <= MAX_THRESHOLD:
            raise InvalidInput(
                f"the amount is more than 0 and at most {money(MAX_THRESHOLD, self.currency)}"
            )
        async with self.db.session() as session:
            row = await session.get(LowBalanceAlert, account_ref(account_id))
            if row is None:
                row = LowBalanceAlert(subject_ref=account_ref(account_id), armed=False)
                session.add(row)
            row.enabled, row.threshold = enabled, threshold
            # Armed again only by a balance seen at or above the new amount.
            balance = await self.ledger.balance(session, wallet(account_id), self.currency)
            row.armed = balance >= (self.default if threshold is None else threshold)
            return self._choice(row)

    async def observe(self, account_id: str) -> bool:
        """After a movement of the account's wallet: arm, or send the e-mail once. Whether it
        was sent. A mail server that fails leaves the alert armed, to try at the next movement;
        the movement itself is never undone for it."""
        try:
            return await self._observe(account_id)
        except RingfenceError as exc:
            log.warning("low_balance_mail_failed", error=exc.code)
            return False

    async def _observe(self, account_id: str) -> bool:
        async with self.db.session() as session:
            await self.ledger.lock(session, account_id)
            account = await session.get(Account, account_id)
            if account is None:
                return False
            row = await session.get(LowBalanceAlert, account.subject_ref)
            choice = self._choice(row)
            balance = await self.ledger.balance(session, wallet(account_id), self.currency)
            if balance >= choice.threshold:
                if row is None:
                    row = LowBalanceAlert(subject_ref=account.subject_ref, enabled=True)
                    session.add(row)
                row.armed = True
                return False
            if row is None or not row.armed or not choice.enabled:
                return False
            row.armed, row.alerted_at = False, self.clock.now()
            await self.mailer.send(
                await self.addresses.read(session, account),
                "Your ringfence credit is low",
                f"Your balance is {money(balance, self.currency)}, below the "
                f"{money(choice.threshold, self.currency)} you asked to be told about.\n\n"
                f"Top up or change this e-mail at {self.credit_page}\n\n"
                "We send this once; the next comes only after your balance has been above "
                "that amount again.\n",
                subject_ref=account.subject_ref,
            )
            log.info("low_balance_mail", account=account_id)
            return True
