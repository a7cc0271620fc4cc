"""benefit ledger: append-only entries, pairing attributions, rollups and their guards

Revision ID: 0020
Revises: 0010
Create Date: 2026-11-28 22:00:00

The ledger tables refuse UPDATE and DELETE (and TRUNCATE) by trigger; the rollups, which only
ever grow by upserts, refuse DELETE. On PostgreSQL one PL/pgSQL function raises, unless the
transaction set `fengshou.allow_ledger_purge = 'on'` (DELETE and TRUNCATE only; an UPDATE of
the ledger is never allowed). SQLite has no session settings: its triggers RAISE(ABORT) unless
the one row of impact_ledger_guard has purge_allowed set. The tests' ledger_purge
(tests/impact/ledger_purge.py) does either, inside one transaction, for their clean-up.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEDGER_TABLES = ("impact_ledger_entries", "impact_entry_pairings")
ROLLUP_TABLES = (
    "impact_totals_by_month",
    "impact_totals_by_pairing",
    "impact_totals_by_pairing_county",
    "impact_totals_by_county",
    "impact_totals_by_county_year",
    "impact_totals_by_province",
    "impact_totals_by_cooperative",
    "impact_totals_by_cooperative_year",
    "impact_totals_by_organization",
    "impact_totals_by_organization_county",
    "impact_totals_by_buyer_kind",
    "impact_totals_by_county_buyer_province",
    "impact_totals_by_cooperative_buyer_province",
)

POSTGRES_GUARD_FUNCTION = """
CREATE FUNCTION impact_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE')
       AND current_setting('fengshou.allow_ledger_purge', true) = 'on' THEN
        IF TG_LEVEL = 'ROW' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the benefit ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$
"""
SQLITE_PURGE_ALLOWED = (
    "EXISTS (SELECT 1 FROM impact_ledger_guard WHERE id = 1 AND purge_allowed = 1)"
)


def _postgres_guards() -> list[str]:
    statements = [POSTGRES_GUARD_FUNCTION]
    for name in LEDGER_TABLES:
        statements.append(
            f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
            "FOR EACH ROW EXECUTE FUNCTION impact_refuse_change()"
        )
    for name in ROLLUP_TABLES:
        statements.append(
            f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name} "
            "FOR EACH ROW EXECUTE FUNCTION impact_refuse_change()"
        )
    for name in (*LEDGER_TABLES, *ROLLUP_TABLES):
        statements.append(
            f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
            "FOR EACH STATEMENT EXECUTE FUNCTION impact_refuse_change()"
        )
    return statements


def _sqlite_guards() -> list[str]:
    statements = []
    for name in LEDGER_TABLES:
        statements.append(
            f"CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {name} BEGIN "
            f"SELECT RAISE(ABORT, 'the benefit ledger is append-only: UPDATE on {name} refused'); "
            "END"
        )
    for name in (*LEDGER_TABLES, *ROLLUP_TABLES):
        statements.append(
            f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name} "
            f"WHEN NOT {SQLITE_PURGE_ALLOWED} BEGIN "
            f"SELECT RAISE(ABORT, 'the benefit ledger is append-only: DELETE on {name} refused'); "
            "END"
        )
    return statements


def upgrade() -> None:
    op.create_table(
        "impact_ledger_guard",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("purge_allowed", sa.Boolean(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_impact_ledger_guard_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_ledger_guard")),
    )
    op.create_table(
        "impact_totals_by_buyer_kind",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "month",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("buyer_kind", sa.String(length=30), nullable=False),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year", "month", "buyer_kind", name=op.f("pk_impact_totals_by_buyer_kind")
        ),
    )
    op.create_table(
        "impact_totals_by_cooperative",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "month",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "cooperative_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year", "month", "cooperative_id", name=op.f("pk_impact_totals_by_cooperative")
        ),
    )
    with op.batch_alter_table("impact_totals_by_cooperative", schema=None) as batch_op:
        batch_op.create_index(
            "ix_impact_totals_by_cooperative_id_year", ["cooperative_id", "year"], unique=False
        )

    op.create_table(
        "impact_totals_by_cooperative_buyer_province",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "cooperative_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("buyer_province_code", sa.String(length=6), nullable=False),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year",
            "cooperative_id",
            "buyer_province_code",
            name=op.f("pk_impact_totals_by_cooperative_buyer_province"),
        ),
    )
    op.create_table(
        "impact_totals_by_county",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "month",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year", "month", "county_code", name=op.f("pk_impact_totals_by_county")
        ),
    )
    with op.batch_alter_table("impact_totals_by_county", schema=None) as batch_op:
        batch_op.create_index(
            "ix_impact_totals_by_county_code_year", ["county_code", "year"], unique=False
        )

    op.create_table(
        "impact_totals_by_county_buyer_province",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("buyer_province_code", sa.String(length=6), nullable=False),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year",
            "county_code",
            "buyer_province_code",
            name=op.f("pk_impact_totals_by_county_buyer_province"),
        ),
    )
    with op.batch_alter_table("impact_totals_by_county_buyer_province", schema=None) as batch_op:
        batch_op.create_index(
            "ix_impact_totals_by_county_buyer_province_buyer",
            ["buyer_province_code", "year"],
            unique=False,
        )

    op.create_table(
        "impact_totals_by_month",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "month",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("year", "month", name=op.f("pk_impact_totals_by_month")),
    )
    op.create_table(
        "impact_totals_by_organization",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "month",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "organization_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year", "month", "organization_id", name=op.f("pk_impact_totals_by_organization")
        ),
    )
    with op.batch_alter_table("impact_totals_by_organization", schema=None) as batch_op:
        batch_op.create_index(
            "ix_impact_totals_by_organization_id_year", ["organization_id", "year"], unique=False
        )

    op.create_table(
        "impact_totals_by_organization_county",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "organization_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year",
            "organization_id",
            "county_code",
            name=op.f("pk_impact_totals_by_organization_county"),
        ),
    )
    op.create_table(
        "impact_totals_by_pairing",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "month",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "pairing_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year", "month", "pairing_id", name=op.f("pk_impact_totals_by_pairing")
        ),
    )
    op.create_table(
        "impact_totals_by_pairing_county",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "pairing_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year", "pairing_id", "county_code", name=op.f("pk_impact_totals_by_pairing_county")
        ),
    )
    op.create_table(
        "impact_totals_by_province",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "month",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year", "month", "province_code", name=op.f("pk_impact_totals_by_province")
        ),
    )
    op.create_table(
        "impact_ledger_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("sale", "refund", name="entrykind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("occurred_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "period_year", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "period_month", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("refund_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("quantity", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "buyer_kind",
            sa.Enum(
                "consumer",
                "government",
                "public_institution",
                "state_owned_enterprise",
                "trade_union",
                "enterprise",
                name="buyerkind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "buyer_organization_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("buyer_province_code", sa.String(length=6), nullable=False),
        sa.Column("origin_county_code", sa.String(length=6), nullable=False),
        sa.Column("origin_province_code", sa.String(length=6), nullable=False),
        sa.Column(
            "cooperative_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("recorded_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'sale' AND refund_id IS NULL AND quantity > 0 AND amount_fen > 0) OR (kind = 'refund' AND refund_id IS NOT NULL AND quantity < 0 AND amount_fen < 0)",
            name=op.f("ck_impact_ledger_entries_sign_matches_kind"),
        ),
        sa.CheckConstraint(
            "period_month BETWEEN 1 AND 12", name=op.f("ck_impact_ledger_entries_month_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_organization_id"],
            ["organizations.id"],
            name=op.f("fk_impact_ledger_entries_buyer_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["buyer_province_code"],
            ["provinces.code"],
            name=op.f("fk_impact_ledger_entries_buyer_province_code_provinces"),
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_impact_ledger_entries_cooperative_id_cooperatives"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_impact_ledger_entries_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_impact_ledger_entries_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_county_code"],
            ["counties.code"],
            name=op.f("fk_impact_ledger_entries_origin_county_code_counties"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_province_code"],
            ["provinces.code"],
            name=op.f("fk_impact_ledger_entries_origin_province_code_provinces"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_impact_ledger_entries_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_ledger_entries")),
    )
    with op.batch_alter_table("impact_ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_impact_ledger_entries_order_id", ["order_id"], unique=False)
        batch_op.create_index(
            "ix_impact_ledger_entries_period", ["period_year", "period_month"], unique=False
        )
        batch_op.create_index(
            "uq_impact_ledger_entries_refund",
            ["order_line_id", "refund_id"],
            unique=True,
            postgresql_where=sa.text("refund_id IS NOT NULL"),
            sqlite_where=sa.text("refund_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_impact_ledger_entries_sale",
            ["order_line_id"],
            unique=True,
            postgresql_where=sa.text("refund_id IS NULL"),
            sqlite_where=sa.text("refund_id IS NULL"),
        )

    op.create_table(
        "impact_entry_pairings",
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "pairing_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["impact_ledger_entries.id"],
            name=op.f("fk_impact_entry_pairings_entry_id_impact_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairings.id"],
            name=op.f("fk_impact_entry_pairings_pairing_id_pairings"),
        ),
        sa.PrimaryKeyConstraint("entry_id", "pairing_id", name=op.f("pk_impact_entry_pairings")),
    )
    with op.batch_alter_table("impact_entry_pairings", schema=None) as batch_op:
        batch_op.create_index("ix_impact_entry_pairings_pairing_id", ["pairing_id"], unique=False)

    op.create_table(
        "impact_totals_by_county_year",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "county_code",
            sa.String(length=6),
            nullable=False,
        ),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year", "county_code", name=op.f("pk_impact_totals_by_county_year")
        ),
    )
    op.create_table(
        "impact_totals_by_cooperative_year",
        sa.Column(
            "year",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "cooperative_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "year", "cooperative_id", name=op.f("pk_impact_totals_by_cooperative_year")
        ),
    )
    op.bulk_insert(
        sa.table(
            "impact_ledger_guard",
            sa.column("id", sa.Integer()),
            sa.column("purge_allowed", sa.Boolean()),
        ),
        [{"id": 1, "purge_allowed": False}],
    )
    dialect = op.get_bind().dialect.name
    for statement in _postgres_guards() if dialect == "postgresql" else _sqlite_guards():
        op.execute(statement)


def downgrade() -> None:
    # Dropping a table drops its triggers; DROP TABLE is not a DELETE, so nothing refuses it.
    op.drop_table("impact_entry_pairings")
    op.drop_table("impact_ledger_entries")
    for name in ROLLUP_TABLES:
        op.drop_table(name)
    op.drop_table("impact_ledger_guard")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION impact_refuse_change()")
