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


def upgrade() -> None:
    _key_assistance_rollup()


def downgrade() -> None:
    op.drop_table(KEY_ASSISTANCE)
