"""search index: the embedded search backend's tables (FTS5 on SQLite, tsvector on PostgreSQL)

Revision ID: 0010
Revises: 0004
Create Date: 2026-11-28 21:00:00

The statements come from the search library (search.embedded.schema), which owns these
tables; they are frozen there per schema version, so this migration keeps its meaning.
"""

from collections.abc import Sequence

from alembic import op

from search.embedded.schema import downgrade_ddl, upgrade_ddl

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in upgrade_ddl(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in downgrade_ddl(dialect):
        op.execute(statement)
