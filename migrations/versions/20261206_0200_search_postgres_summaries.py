"""search index on PostgreSQL: facet counts kept by triggers, the matches' columns beside the
vectors (search schema version 5)

Revision ID: 0200
Revises: 0170
Create Date: 2026-12-06 15:00:00

A listing without text counts its facets from summaries kept by statement triggers (as
SQLite has since version 3) instead of reading every product; a text query finds each
match's filter and sort columns beside its vectors, so that its counts and its page come
from one search of the text index. Nothing changes on SQLite.
"""

from collections.abc import Sequence

from alembic import op

from search.embedded.schema import downgrade_ddl, upgrade_ddl

revision: str = "0200"
down_revision: str | Sequence[str] | None = "0170"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in upgrade_ddl(dialect, 5):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in downgrade_ddl(dialect, 5):
        op.execute(statement)
