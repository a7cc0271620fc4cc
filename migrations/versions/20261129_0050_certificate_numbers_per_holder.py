"""certificates: a GI number is held once per cooperative, other kinds once on the platform

Revision ID: 0050
Revises: 0040
Create Date: 2026-11-29 03:30:00

A geographical indication is registered for a region and used by every producer authorised
there, so several cooperatives hold the same AGI number; green-food and organic certificates
are issued to one holder. The unique (kind, number) becomes (cooperative, kind, number), and
a partial unique index keeps non-GI numbers to one holder.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0050"
down_revision: str | Sequence[str] | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_GI = sa.text("kind <> 'gi'")


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch_op:
        batch_op.drop_constraint("uq_certificates_kind_number", type_="unique")
        batch_op.create_unique_constraint(
            "uq_certificates_cooperative_id_kind_number", ["cooperative_id", "kind", "number"]
        )
    op.create_index(
        "uq_certificates_kind_number_one_holder",
        "certificates",
        ["kind", "number"],
        unique=True,
        sqlite_where=NOT_GI,
        postgresql_where=NOT_GI,
    )


def downgrade() -> None:
    # Fails if several cooperatives hold one GI number: they must be merged by hand first.
    op.drop_index("uq_certificates_kind_number_one_holder", table_name="certificates")
    with op.batch_alter_table("certificates") as batch_op:
        batch_op.drop_constraint("uq_certificates_cooperative_id_kind_number", type_="unique")
        batch_op.create_unique_constraint("uq_certificates_kind_number", ["kind", "number"])
