"""jobs: the message keys of the mails a job delivered, kept across its attempts

Revision ID: 0160
Revises: 0140
Create Date: 2026-12-06 13:00:00

A job that failed after sending some of its mails (or whose worker's lease was lost) runs
again; with the keys kept, the retry does not send those mails a second time.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0160"
down_revision: str | Sequence[str] | None = "0140"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("mailed", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("mailed")
