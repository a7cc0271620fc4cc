"""key-assistance rollup; regional public brands (区域公用品牌)

Revision ID: 0170
Revises: 0160
Create Date: 2026-12-06 14:00:00

`impact_totals_by_key_assistance` sums the ledger entries whose origin county is one of the
national key-assistance counties, per month; it is filled here from the ledger written so far
(the same sums the writer's fold makes: amounts, and distinct orders with a sale) and guarded
against DELETE like the other rollups.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0170"
down_revision: str | Sequence[str] | None = "0160"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KEY_ASSISTANCE = "impact_totals_by_key_assistance"
SQLITE_PURGE_ALLOWED = (
    "EXISTS (SELECT 1 FROM impact_ledger_guard WHERE id = 1 AND purge_allowed = 1)"
)


def _key_assistance_rollup() -> None:
    op.create_table(
        KEY_ASSISTANCE,
        sa.Column("year", BIG, autoincrement=False, nullable=False),
        sa.Column("month", BIG, autoincrement=False, nullable=False),
        sa.Column("amount_fen", BIG, nullable=False),
        sa.Column("order_count", BIG, nullable=False),
        sa.PrimaryKeyConstraint("year", "month", name=op.f(f"pk_{KEY_ASSISTANCE}")),
    )
    op.execute(
        f"INSERT INTO {KEY_ASSISTANCE} (year, month, amount_fen, order_count) "  # noqa: S608
        "SELECT e.period_year, e.period_month, SUM(e.amount_fen), "
        "COUNT(DISTINCT CASE WHEN e.kind = 'sale' THEN e.order_id END) "
        "FROM impact_ledger_entries e JOIN counties c ON c.code = e.origin_county_code "
        "WHERE c.key_assistance GROUP BY e.period_year, e.period_month"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {KEY_ASSISTANCE}_no_delete BEFORE DELETE ON {KEY_ASSISTANCE} "
            "FOR EACH ROW EXECUTE FUNCTION impact_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {KEY_ASSISTANCE}_no_truncate BEFORE TRUNCATE ON {KEY_ASSISTANCE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION impact_refuse_change()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {KEY_ASSISTANCE}_no_delete BEFORE DELETE ON {KEY_ASSISTANCE} "
            f"WHEN NOT {SQLITE_PURGE_ALLOWED} BEGIN "
            f"SELECT RAISE(ABORT, 'the benefit ledger is append-only: DELETE on {KEY_ASSISTANCE} "
            "refused'); END"
        )


def _brands() -> None:
    op.create_table(
        "brands",
        sa.Column("id", BIG, nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column(
            "required_certificate_kind",
            sa.Enum(
                "gi",
                "green_food",
                "organic",
                name="certificatekind",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("logo_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("name", name=op.f("uq_brands_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_brands_slug")),
    )
    op.create_table(
        "brand_counties",
        sa.Column("brand_id", BIG, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_brand_counties_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_brand_counties_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("brand_id", "county_code", name=op.f("pk_brand_counties")),
    )
    op.create_index("ix_brand_counties_county_code", "brand_counties", ["county_code"])
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand_id", BIG, nullable=True))
        batch_op.create_index(batch_op.f("ix_products_brand_id"), ["brand_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_products_brand_id_brands"),
            "brands",
            ["brand_id"],
            ["id"],
            ondelete="SET NULL",
        )


def upgrade() -> None:
    _key_assistance_rollup()
    _brands()


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_products_brand_id_brands"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_products_brand_id"))
        batch_op.drop_column("brand_id")
    op.drop_table("brand_counties")
    op.drop_table("brands")
    op.drop_table(KEY_ASSISTANCE)
