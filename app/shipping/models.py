"""Shipping rule table: one rule per supplier."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin


class ShippingRule(TimestampMixin, Base):
    """How a supplier charges for one parcel: base fee, plus a fee per started kilogram beyond
    the first, plus a cold-chain surcharge when the parcel holds cold-chain goods; free above a
    goods amount; some provinces not served at all."""

    __tablename__ = "shipping_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), unique=True)
    base_fee_fen: Mapped[int] = mapped_column(default=1000)
    per_kg_fen: Mapped[int] = mapped_column(default=0)
    free_above_fen: Mapped[int | None] = mapped_column(default=None)
    cold_chain_surcharge_fen: Mapped[int] = mapped_column(default=0)
    # Province codes ("540000") this supplier does not ship to.
    excluded_province_codes: Mapped[list[str]] = mapped_column(JSON, default=list)

    __table_args__ = (
        CheckConstraint(
            "base_fee_fen >= 0 AND per_kg_fen >= 0 AND cold_chain_surcharge_fen >= 0",
            name="fees_not_negative",
        ),
    )


@dataclass(frozen=True, slots=True)
class ShippingTerms:
    """A rule's terms as the fee reads them (the attributes of ShippingRule), for a caller
    that reads them with plain statements, beside other rows (pricing)."""

    cooperative_id: int
    base_fee_fen: int
    per_kg_fen: int
    free_above_fen: int | None
    cold_chain_surcharge_fen: int
    excluded_province_codes: list[str]
