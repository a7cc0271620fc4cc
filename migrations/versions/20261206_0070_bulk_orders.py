"""procurement: bulk orders (an organisation's uploaded list, checked per line) and their lines

Revision ID: 0070
Revises: 0060
Create Date: 2026-12-06 07:30:00

A bulk order is a draft until a buyer submits it with its payment method, delivery address
and PO number; another approver or admin approves it (the order is placed: order_id) or
rejects it with a comment. Its lines keep each checked row: the SKU, quantity, tier price,
the rows merged into it, and the error that stops it from being ordered.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0070"
down_revision: str | Sequence[str] | None = "0060"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "approved",
                "rejected",
                name="bulkorderstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_by_user_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("source_filename", sa.String(length=200), nullable=True),
        sa.Column(
            "reorder_of_order_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.Column(
            "line_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "error_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "goods_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("checked_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "submitted_by_user_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("submitted_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "payment_method",
            sa.Enum("stripe", "bank_transfer", name="paymentmethod", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("po_number", sa.String(length=60), nullable=True),
        sa.Column("ship_to_name", sa.String(length=50), nullable=True),
        sa.Column("ship_to_phone", sa.String(length=20), nullable=True),
        sa.Column("ship_to_county_code", sa.String(length=6), nullable=True),
        sa.Column("ship_to_detail", sa.String(length=200), nullable=True),
        sa.Column(
            "shipping_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "approver_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("decided_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("goods_fen >= 0", name=op.f("ck_bulk_orders_goods_not_negative")),
        sa.ForeignKeyConstraint(
            ["approver_user_id"], ["users.id"], name=op.f("fk_bulk_orders_approver_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_bulk_orders_created_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_bulk_orders_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_bulk_orders_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["reorder_of_order_id"],
            ["orders.id"],
            name=op.f("fk_bulk_orders_reorder_of_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["ship_to_county_code"],
            ["counties.code"],
            name=op.f("fk_bulk_orders_ship_to_county_code_counties"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_user_id"],
            ["users.id"],
            name=op.f("fk_bulk_orders_submitted_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_orders")),
        sa.UniqueConstraint("order_id", name=op.f("uq_bulk_orders_order_id")),
    )
    op.create_index(
        "ix_bulk_orders_organization_status", "bulk_orders", ["organization_id", "status", "id"]
    )

    op.create_table(
        "bulk_order_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "bulk_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("row", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku_code", sa.String(length=60), nullable=False),
        sa.Column("sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=230), nullable=True),
        sa.Column("quantity", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("quantity_text", sa.String(length=20), nullable=True),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column(
            "unit_price_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "line_total_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("merged_rows", sa.JSON(), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column(
            "error_limit", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint(
            "quantity IS NULL OR quantity > 0", name=op.f("ck_bulk_order_lines_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["bulk_order_id"],
            ["bulk_orders.id"],
            name=op.f("fk_bulk_order_lines_bulk_order_id_bulk_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
            name=op.f("fk_bulk_order_lines_sku_id_skus"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_order_lines")),
        sa.UniqueConstraint(
            "bulk_order_id", "row", name=op.f("uq_bulk_order_lines_bulk_order_id_row")
        ),
    )


def downgrade() -> None:
    op.drop_table("bulk_order_lines")
    op.drop_index("ix_bulk_orders_organization_status", table_name="bulk_orders")

    op.drop_table("bulk_orders")
