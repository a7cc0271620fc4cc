"""catalog: shelf life, storage and food production licence of a product; which categories
need the licence

Revision ID: 0110
Revises: 0100
Create Date: 2026-12-06 13:00:00

A product carries what its label says (GB 7718): shelf life in days, storage conditions and,
for processed or packaged food, the food production licence number (食品生产许可证, "SC" + 14
digits). Which categories need the licence is data on the category: grain and oil, tea, nuts
and dried fruit, condiments, bee products and drinks are processed foods; fresh produce
(食用农产品: fruit, vegetables, meat and eggs, aquatic products, fresh mushrooms), medicinal
herbs and handicrafts are not made under one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0110"
down_revision: str | Sequence[str] | None = "0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LICENSED_CATEGORIES = ("grain_oil", "tea", "nuts", "condiments", "bee_products", "drinks")


def upgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "requires_food_licence", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    categories = sa.table(
        "categories", sa.column("code", sa.String), sa.column("requires_food_licence", sa.Boolean)
    )
    op.execute(
        categories.update()
        .where(categories.c.code.in_(LICENSED_CATEGORIES))
        .values(requires_food_licence=True)
    )
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.alter_column("requires_food_licence", server_default=None)

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "shelf_life_days",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "storage_conditions", sa.String(length=100), nullable=False, server_default=""
            )
        )
        batch_op.add_column(sa.Column("food_licence_number", sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_products_shelf_life_in_range"),
            "shelf_life_days IS NULL OR shelf_life_days BETWEEN 1 AND 3650",
        )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.alter_column("storage_conditions", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_products_shelf_life_in_range"), type_="check")
        batch_op.drop_column("food_licence_number")
        batch_op.drop_column("storage_conditions")
        batch_op.drop_column("shelf_life_days")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("requires_food_licence")
