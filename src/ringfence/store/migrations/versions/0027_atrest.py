"""accounts' e-mail addresses and evaluation reports and transcripts encrypted at rest

An address moves from plain text to a ciphertext under the account's own data key (created
here when the account has none yet), beside ``email_hash``, the HMAC the code finds it by
(``accounts.addresses``). An evaluation call's report and transcript are encrypted under its
business's data key, named by the new ``key_ref``. Existing rows need the installation's keys,
so ``ringfence migrate`` passes its settings (``schema.migrate(url, settings=...)``); a
database holding such rows migrated without them is refused with the command to run. The
downgrade decrypts them back.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 17:50:00.000000
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import ringfence.store.base
from ringfence.privacy.crypto import MasterKeys, decrypt_with, encrypt_with
from ringfence.privacy.subjects import keyed_ref
from ringfence.settings import Settings

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

ACCOUNTS = sa.table(
    "accounts",
    sa.column("id", sa.String),
    sa.column("subject_ref", sa.String),
    sa.column("email", sa.String),
    sa.column("email_plain", sa.String),
    sa.column("email_sealed", sa.LargeBinary),
    sa.column("email_hash", sa.String),
)
DATA_KEYS = sa.table(
    "data_keys",
    sa.column("subject_ref", sa.String),
    sa.column("wrapped_key", sa.LargeBinary),
    sa.column("master_key_id", sa.String),
    sa.column("created_at", ringfence.store.base.UTCDateTime(timezone=True)),
)


EVALUATIONS = sa.table(
    "evaluation_calls",
    sa.column("id", sa.String),
    sa.column("tenant_id", sa.String),
    sa.column("key_ref", sa.String),
    sa.column("report", sa.Text),
    sa.column("transcript", sa.Text),
    sa.column("report_sealed", sa.LargeBinary),
    sa.column("transcript_sealed", sa.LargeBinary),
    sa.column("report_plain", sa.Text),
    sa.column("transcript_plain", sa.Text),
)
SEALED_EVALUATIONS = sa.table(
    "evaluation_calls",
    sa.column("id", sa.String),
    sa.column("key_ref", sa.String),
    sa.column("report", sa.LargeBinary),
    sa.column("transcript", sa.LargeBinary),
)


def _settings(connection: sa.Connection) -> Settings | None:
    """The settings ``ringfence migrate`` passed, needed only when there are rows to convert;
    asked before any change (SQLite commits each ALTER at once: a refusal must find none)."""
    if not any(
        connection.scalar(sa.select(sa.func.count()).select_from(table))
        for table in (ACCOUNTS, EVALUATIONS)
    ):
        return None
    config = op.get_context().config
    settings = config.attributes.get("settings") if config is not None else None
    if not isinstance(settings, Settings):
        raise RuntimeError(
            "accounts' addresses are converted with this installation's keys: run "
            "`ringfence migrate` with the server's settings"
        )
    return settings


def _master(settings: Settings) -> MasterKeys:
    settings.ensure_data_dir()
    configured = settings.privacy.master_key
    return MasterKeys.load(
        settings.master_key_path, configured.get_secret_value() if configured else None
    )


def _data_key(connection: sa.Connection, master: MasterKeys, subject_ref: str) -> bytes:
    """The subject's data key, stored wrapped as ``privacy.crypto.Vault`` stores it."""
    row = connection.execute(
        sa.select(DATA_KEYS.c.master_key_id, DATA_KEYS.c.wrapped_key).where(
            DATA_KEYS.c.subject_ref == subject_ref
        )
    ).first()
    if row is not None:
        return master.unwrap(row.master_key_id, row.wrapped_key, subject_ref)
    key = AESGCM.generate_key(bit_length=256)
    key_id, wrapped = master.wrap(key, subject_ref)
    connection.execute(
        DATA_KEYS.insert().values(
            subject_ref=subject_ref,
            wrapped_key=wrapped,
            master_key_id=key_id,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    return key


def upgrade() -> None:
    settings = _settings(op.get_bind())
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_hash", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("email_sealed", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    if settings is not None:
        master, secret = _master(settings), settings.signing_key()
        rows = connection.execute(
            sa.select(ACCOUNTS.c.id, ACCOUNTS.c.subject_ref, ACCOUNTS.c.email)
        ).all()
        for account_id, subject_ref, email in rows:
            address = str(email).strip().lower()
            key = _data_key(connection, master, subject_ref)
            connection.execute(
                ACCOUNTS.update()
                .where(ACCOUNTS.c.id == account_id)
                .values(
                    email_sealed=encrypt_with(key, subject_ref, address.encode()),
                    email_hash=keyed_ref(f"email:{address}", secret),
                )
            )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_accounts_email"), type_="unique")
        batch_op.drop_column("email")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column("email_sealed", new_column_name="email", nullable=False)
        batch_op.alter_column("email_hash", existing_type=sa.String(length=80), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_accounts_email_hash"), ["email_hash"])
    _seal_evaluations(settings)


def _seal_evaluations(settings: Settings | None) -> None:
    with op.batch_alter_table("evaluation_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_ref", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("report_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("transcript_sealed", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    if settings is not None:
        master = _master(settings)
        rows = connection.execute(
            sa.select(
                EVALUATIONS.c.id,
                EVALUATIONS.c.tenant_id,
                EVALUATIONS.c.report,
                EVALUATIONS.c.transcript,
            )
        ).all()
        for evaluation_id, tenant_id, report, transcript in rows:
            ref = f"tenant:{tenant_id}"  # services.agents.evaluations.service.key_ref
            key = _data_key(connection, master, ref)
            connection.execute(
                EVALUATIONS.update()
                .where(EVALUATIONS.c.id == evaluation_id)
                .values(
                    key_ref=ref,
                    report_sealed=None
                    if report is None
                    else encrypt_with(key, ref, report.encode()),
                    transcript_sealed=(
                        None if transcript is None else encrypt_with(key, ref, transcript.encode())
                    ),
                )
            )
    with op.batch_alter_table("evaluation_calls", schema=None) as batch_op:
        batch_op.drop_column("report")
        batch_op.drop_column("transcript")
    with op.batch_alter_table("evaluation_calls", schema=None) as batch_op:
        batch_op.alter_column("report_sealed", new_column_name="report")
        batch_op.alter_column("transcript_sealed", new_column_name="transcript")
        batch_op.alter_column("key_ref", existing_type=sa.String(length=60), nullable=False)


def _open_evaluations(settings: Settings | None) -> None:
    with op.batch_alter_table("evaluation_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_plain", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("transcript_plain", sa.Text(), nullable=True))
    connection = op.get_bind()
    if settings is not None:
        master = _master(settings)
        table = SEALED_EVALUATIONS
        rows = connection.execute(
            sa.select(table.c.id, table.c.key_ref, table.c.report, table.c.transcript)
        ).all()
        for evaluation_id, ref, report, transcript in rows:
            key = _data_key(connection, master, ref)
            connection.execute(
                EVALUATIONS.update()
                .where(EVALUATIONS.c.id == evaluation_id)
                .values(
                    report_plain=None
                    if report is None
                    else decrypt_with(key, ref, report).decode(),
                    transcript_plain=(
                        None if transcript is None else decrypt_with(key, ref, transcript).decode()
                    ),
                )
            )
    with op.batch_alter_table("evaluation_calls", schema=None) as batch_op:
        batch_op.drop_column("report")
        batch_op.drop_column("transcript")
        batch_op.drop_column("key_ref")
    with op.batch_alter_table("evaluation_calls", schema=None) as batch_op:
        batch_op.alter_column("report_plain", new_column_name="report")
        batch_op.alter_column("transcript_plain", new_column_name="transcript")


def downgrade() -> None:
    settings = _settings(op.get_bind())
    _open_evaluations(settings)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_plain", sa.String(length=254), nullable=True))
    connection = op.get_bind()
    if settings is not None:
        master = _master(settings)
        sealed = sa.table(
            "accounts",
            sa.column("id", sa.String),
            sa.column("subject_ref", sa.String),
            sa.column("email", sa.LargeBinary),
        )
        rows = connection.execute(sa.select(sealed.c.id, sealed.c.subject_ref, sealed.c.email))
        for account_id, subject_ref, blob in rows.all():
            plain = decrypt_with(_data_key(connection, master, subject_ref), subject_ref, blob)
            connection.execute(
                ACCOUNTS.update()
                .where(ACCOUNTS.c.id == account_id)
                .values(email_plain=plain.decode())
            )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_accounts_email_hash"), type_="unique")
        batch_op.drop_column("email_hash")
        batch_op.drop_column("email")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column(
            "email_plain",
            new_column_name="email",
            existing_type=sa.String(length=254),
            nullable=False,
        )
        batch_op.create_unique_constraint(batch_op.f("uq_accounts_email"), ["email"])
