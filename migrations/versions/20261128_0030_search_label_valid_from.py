"""search index: labels carry their first valid day (search schema version 2)

Revision ID: 0030
Revises: 0020
Create Date: 2026-11-28 23:40:00

A certificate whose validity starts after its product was indexed must not match the label
filter before that day; the search library decides it when reading, from this column.
"""

from collections.abc import Sequence

from alembic import op

from search.embedded.schema import downgrade_ddl, upgrade_ddl

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in upgrade_ddl(dialect, 2):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in downgrade_ddl(dialect, 2):
        op.execute(statement)
