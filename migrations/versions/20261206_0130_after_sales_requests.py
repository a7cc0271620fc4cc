"""after-sales: a buyer's refund or return requests per order line, and their photos

Revision ID: 0130
Revises: 0110
Create Date: 2026-12-06 12:00:00

A request names lines of one fulfilment and the units asked back; its status moves through
requested, accepted, rejected, escalated, awaiting_return, refunded and closed, and it points
at the payment's refund that paid it back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0130"
down_revision: str | Sequence[str] | None = "0110"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "after_sales_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "fulfillment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "cooperative_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "buyer_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "refund_only", "return_and_refund", name="requestkind", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "accepted",
                "rejected",
                "escalated",
                "awaiting_return",
                "refunded",
                "closed",
                name="requeststatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("deadline_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("supplier_reason", sa.String(length=500), nullable=True),
        sa.Column("answered_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("auto_accepted", sa.Boolean(), nullable=False),
        sa.Column("escalated_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "operator_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("operator_reason", sa.String(length=500), nullable=True),
        sa.Column("decided_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_carrier", sa.String(length=50), nullable=True),
        sa.Column("return_tracking_number", sa.String(length=60), nullable=True),
        sa.Column("returned_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refund_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("refund_bank_reference", sa.String(length=60), nullable=True),
        sa.Column("refunded_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_user_id"],
            ["users.id"],
            name=op.f("fk_after_sales_requests_buyer_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_after_sales_requests_cooperative_id_cooperatives"),
        ),
        sa.ForeignKeyConstraint(
            ["fulfillment_id"],
            ["fulfillments.id"],
            name=op.f("fk_after_sales_requests_fulfillment_id_fulfillments"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_user_id"],
            ["users.id"],
            name=op.f("fk_after_sales_requests_operator_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_after_sales_requests_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_after_sales_requests_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sales_requests")),
    )
    with op.batch_alter_table("after_sales_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_after_sales_requests_cooperative_status", ["cooperative_id", "status"], unique=False
        )
        batch_op.create_index("ix_after_sales_requests_order_id", ["order_id"], unique=False)
        batch_op.create_index("ix_after_sales_requests_status", ["status"], unique=False)

    op.create_table(
        "after_sales_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_after_sales_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_after_sales_lines_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["after_sales_requests.id"],
            name=op.f("fk_after_sales_lines_request_id_after_sales_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sales_lines")),
        sa.UniqueConstraint(
            "request_id",
            "order_line_id",
            name=op.f("uq_after_sales_lines_request_id_order_line_id"),
        ),
    )
    with op.batch_alter_table("after_sales_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_after_sales_lines_order_line_id"), ["order_line_id"], unique=False
        )

    op.create_table(
        "after_sales_photos",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "uploaded_by_user_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("image_key", sa.String(length=200), nullable=False),
        sa.Column("thumb_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["after_sales_requests.id"],
            name=op.f("fk_after_sales_photos_request_id_after_sales_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["users.id"],
            name=op.f("fk_after_sales_photos_uploaded_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sales_photos")),
    )
    with op.batch_alter_table("after_sales_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_after_sales_photos_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_after_sales_photos_uploaded_by_user_id"),
            ["uploaded_by_user_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("after_sales_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_after_sales_photos_uploaded_by_user_id"))
        batch_op.drop_index(batch_op.f("ix_after_sales_photos_request_id"))

    op.drop_table("after_sales_photos")
    with op.batch_alter_table("after_sales_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_after_sales_lines_order_line_id"))

    op.drop_table("after_sales_lines")
    with op.batch_alter_table("after_sales_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_after_sales_requests_status")
        batch_op.drop_index("ix_after_sales_requests_order_id")
        batch_op.drop_index("ix_after_sales_requests_cooperative_status")

    op.drop_table("after_sales_requests")
