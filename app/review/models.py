"""Reviews: one per delivered order line, with the supplier's reply and an operator's hiding."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin


class Review(TimestampMixin, Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: a line is reviewed once, however many requests race to post it.
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), unique=True)
    fulfillment_id: Mapped[int] = mapped_column(ForeignKey("fulfillments.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int]
    text: Mapped[str] = mapped_column(String(1000), default="")
    reply_text: Mapped[str | None] = mapped_column(String(1000), default=None)
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
    hidden_at: Mapped[datetime | None] = mapped_column(default=None)
    hidden_reason: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (
        Index("ix_reviews_product_created", "product_id", "created_at"),
        Index("ix_reviews_cooperative_created", "cooperative_id", "created_at"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_in_range"),
    )
