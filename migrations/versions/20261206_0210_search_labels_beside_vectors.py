"""search index on PostgreSQL: each product's labels beside its vectors (search schema
version 6)

Revision ID: 0210
Revises: 0200
Create Date: 2026-12-06 21:30:00

A text query's labels (the label filter, a brand, the label facet) come from the match rows
themselves instead of joins to search_product_labels; triggers keep them in step. Nothing
changes on SQLite.
"""

from collections.abc import Sequence

from alembic import op

from search.embedded.schema import downgrade_ddl, upgrade_ddl

revision: str = "0210"
down_revision: str | Sequence[str] | None = "0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in upgrade_ddl(dialect, 6):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in downgrade_ddl(dialect, 6):
        op.execute(statement)
