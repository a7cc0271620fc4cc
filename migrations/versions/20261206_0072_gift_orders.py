"""procurement and orders: trade-union gift orders, a parcel per recipient and supplier

Revision ID: 0072
Revises: 0070
Create Date: 2026-12-06 09:00:00

A bulk order gets a kind (bulk, or gift) and, for gifts, its checked recipients. A gift's order
ships one fulfilment per recipient and supplier, numbered by the recipient's row (parcel_no;
0 for every other order) and addressed to the recipient, so the one-per-supplier rule becomes
one per supplier and parcel.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0072"
down_revision: str | Sequence[str] | None = "0070"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_order_recipients",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "bulk_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("row", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("county_code", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column(
            "shipping_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["bulk_order_id"],
            ["bulk_orders.id"],
            name=op.f("fk_bulk_order_recipients_bulk_order_id_bulk_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_order_recipients")),
        sa.UniqueConstraint(
            "bulk_order_id", "row", name=op.f("uq_bulk_order_recipients_bulk_order_id_row")
        ),
    )
    with op.batch_alter_table("bulk_orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum("bulk", "gift", name="bulkorderkind", native_enum=False, length=10),
                server_default="bulk",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "recipient_count",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                server_default="0",
                nullable=False,
            )
        )

    with op.batch_alter_table("fulfillments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "parcel_no",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                server_default="0",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("recipient_name", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("recipient_phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("recipient_county_code", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("recipient_detail", sa.String(length=200), nullable=True))
        batch_op.drop_constraint(
            batch_op.f("uq_fulfillments_order_id_cooperative_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_fulfillments_order_id_cooperative_id_parcel_no"),
            ["order_id", "cooperative_id", "parcel_no"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_fulfillments_recipient_county_code_counties"),
            "counties",
            ["recipient_county_code"],
            ["code"],
        )


def downgrade() -> None:
    with op.batch_alter_table("fulfillments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_fulfillments_recipient_county_code_counties"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_fulfillments_order_id_cooperative_id_parcel_no"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_fulfillments_order_id_cooperative_id"), ["order_id", "cooperative_id"]
        )
        batch_op.drop_column("recipient_detail")
        batch_op.drop_column("recipient_county_code")
        batch_op.drop_column("recipient_phone")
        batch_op.drop_column("recipient_name")
        batch_op.drop_column("parcel_no")

    with op.batch_alter_table("bulk_orders", schema=None) as batch_op:
        batch_op.drop_column("recipient_count")
        batch_op.drop_column("kind")

    op.drop_table("bulk_order_recipients")
