"""reviews of delivered lines with products' rating aggregates; harvest batches (溯源)

Revision ID: 0140
Revises: 0130
Create Date: 2026-12-06 13:00:00

A buyer reviews each delivered order line once (a unique constraint guards concurrent posts);
products keep the sum and count of their visible ratings, and the embedded search index the
average, for the listing's sort by rating (search schema version 4). A supplier registers
harvest batches with a public code; an order line names the batch it shipped from.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db
from search.embedded.schema import downgrade_ddl, upgrade_ddl

revision: str = "0140"
down_revision: str | Sequence[str] | None = "0130"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("products", sa.Column("rating_sum", _ID, server_default="0", nullable=False))
    op.add_column("products", sa.Column("rating_count", _ID, server_default="0", nullable=False))
    op.create_table(
        "trace_batches",
        sa.Column("id", _ID, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("cooperative_id", _ID, nullable=False),
        sa.Column("product_id", _ID, nullable=False),
        sa.Column("harvested_on", sa.Date(), nullable=False),
        sa.Column("quantity", _ID, nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_trace_batches_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_trace_batches_cooperative_id_cooperatives"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_trace_batches_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_batches")),
        sa.UniqueConstraint("code", name=op.f("uq_trace_batches_code")),
    )
    op.create_index(
        "ix_trace_batches_cooperative_product",
        "trace_batches",
        ["cooperative_id", "product_id"],
        unique=False,
    )
    op.create_table(
        "trace_batch_certificates",
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("certificate_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["trace_batches.id"],
            name=op.f("fk_trace_batch_certificates_batch_id_trace_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_trace_batch_certificates_certificate_id_certificates"),
        ),
        sa.PrimaryKeyConstraint(
            "batch_id", "certificate_id", name=op.f("pk_trace_batch_certificates")
        ),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", _ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_batch_id_trace_batches"),
            "trace_batches",
            ["batch_id"],
            ["id"],
        )
    op.create_table(
        "reviews",
        sa.Column("id", _ID, nullable=False),
        sa.Column("order_line_id", _ID, nullable=False),
        sa.Column("fulfillment_id", _ID, nullable=False),
        sa.Column("product_id", _ID, nullable=False),
        sa.Column("cooperative_id", _ID, nullable=False),
        sa.Column("buyer_user_id", _ID, nullable=False),
        sa.Column("rating", _ID, nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("reply_text", sa.String(length=1000), nullable=True),
        sa.Column("replied_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name=op.f("ck_reviews_rating_in_range")),
        sa.ForeignKeyConstraint(
            ["buyer_user_id"], ["users.id"], name=op.f("fk_reviews_buyer_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_reviews_cooperative_id_cooperatives"),
        ),
        sa.ForeignKeyConstraint(
            ["fulfillment_id"],
            ["fulfillments.id"],
            name=op.f("fk_reviews_fulfillment_id_fulfillments"),
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_reviews_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_reviews_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("order_line_id", name=op.f("uq_reviews_order_line_id")),
    )
    op.create_index(
        "ix_reviews_cooperative_created", "reviews", ["cooperative_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_reviews_product_created", "reviews", ["product_id", "created_at"], unique=False
    )
    dialect = op.get_bind().dialect.name
    for statement in upgrade_ddl(dialect, 4):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in downgrade_ddl(dialect, 4):
        op.execute(statement)
    op.drop_index("ix_reviews_product_created", table_name="reviews")
    op.drop_index("ix_reviews_cooperative_created", table_name="reviews")
    op.drop_table("reviews")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_batch_id_trace_batches"), type_="foreignkey"
        )
        batch_op.drop_column("batch_id")
    op.drop_table("trace_batch_certificates")
    op.drop_index("ix_trace_batches_cooperative_product", table_name="trace_batches")
    op.drop_table("trace_batches")
    op.drop_column("products", "rating_count")
    op.drop_column("products", "rating_sum")
