"""orders and payments: the buyer's address book; a bank transfer's remittance reported

Revision ID: 0100
Revises: 0090
Create Date: 2026-12-06 12:00:00

A buyer keeps delivery addresses (at most one default, guarded by a partial unique index). A
bank transfer's payment records when its buyer said the money was sent (我已汇款) and the key
of the remittance slip they uploaded, if any.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0100"
down_revision: str | Sequence[str] | None = "0090"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_addresses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_saved_addresses_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_addresses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_addresses")),
    )
    with op.batch_alter_table("saved_addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_addresses_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_saved_addresses_one_default",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("remitted_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("remittance_slip_key", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("remittance_slip_key")
        batch_op.drop_column("remitted_at")

    with op.batch_alter_table("saved_addresses", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_saved_addresses_one_default",
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )
        batch_op.drop_index(batch_op.f("ix_saved_addresses_user_id"))

    op.drop_table("saved_addresses")
