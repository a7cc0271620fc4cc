"""certificates: a green-food or organic number is unique among pending claims and among
verified holders; a rejected or revoked claim frees it

Revision ID: 0090
Revises: 0080
Create Date: 2026-12-06 10:00:00

0050 kept a non-GI number to one row whatever its status, so a cooperative anyone can open
could claim another supplier's number, and the number stayed taken after the operator rejected
the claim. Now one pending claim and one verified holder at most: a claim of a number a
verified holder has is accepted for review (the operator's queue shows the conflict: the
verified certificate may itself be the wrong one), and verifying it needs the other revoked.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0090"
down_revision: str | Sequence[str] | None = "0080"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_GI = "kind <> 'gi'"


def _unique_while(name: str, status: str) -> None:
    where = sa.text(f"{NOT_GI} AND status = '{status}'")
    op.create_index(
        name,
        "certificates",
        ["kind", "number"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def upgrade() -> None:
    op.drop_index("uq_certificates_kind_number_one_holder", table_name="certificates")
    _unique_while("uq_certificates_kind_number_pending", "pending")
    _unique_while("uq_certificates_kind_number_verified", "verified")


def downgrade() -> None:
    # Fails while a number has several rows (a freed one claimed again, or a verified holder
    # with a pending claim): those must be resolved by hand first.
    op.drop_index("uq_certificates_kind_number_verified", table_name="certificates")
    op.drop_index("uq_certificates_kind_number_pending", table_name="certificates")
    where = sa.text(NOT_GI)
    op.create_index(
        "uq_certificates_kind_number_one_holder",
        "certificates",
        ["kind", "number"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )
