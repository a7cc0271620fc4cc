"""search index: facet counts kept by triggers on SQLite (search schema version 3)

Revision ID: 0040
Revises: 0030
Create Date: 2026-11-29 03:00:00

A listing without text or price range reads its facet counts from two small summaries kept
by triggers (products, and labels valid on a day) instead of every product and label row.
On both databases the label rows' index is put in group order.
"""

from collections.abc import Sequence

from alembic import op

from search.embedded.schema import downgrade_ddl, upgrade_ddl

revision: str = "0040"
down_revision: str | Sequence[str] | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in upgrade_ddl(dialect, 3):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in downgrade_ddl(dialect, 3):
        op.execute(statement)
