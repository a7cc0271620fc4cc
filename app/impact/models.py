"""Benefit ledger tables (append-only entries and their pairing attributions) and the rollups.

The ledger is the record; the rollups are sums over it kept in the same transaction, so that a
report reads a few hundred rows however long the history grows. Database triggers (migration
0020) refuse UPDATE and DELETE on the ledger tables and DELETE on the rollups.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base, str_enum
from app.order.models import BuyerKind


class EntryKind(enum.StrEnum):
    SALE = "sale"  # a paid order line: positive
    REFUND = "refund"  # refunded units of a line: negative


class LedgerEntry(Base):
    """One order line paid, or some of its units refunded; never updated, never deleted.

    `period_year`/`period_month` are the China Standard Time calendar month of `occurred_at`
    (a payment at 2026-12-31 17:00 UTC belongs to 2027-01). Buyer and origin are copied from
    the order so that the entry says, on its own, whom the money benefited.
    """

    __tablename__ = "impact_ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, 10))
    occurred_at: Mapped[datetime]
    period_year: Mapped[int]
    period_month: Mapped[int]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    # The payment domain's refund (no foreign key: that domain sits above this one).
    refund_id: Mapped[int | None] = mapped_column(default=None)
    quantity: Mapped[int]
    amount_fen: Mapped[int]
    buyer_kind: Mapped[BuyerKind] = mapped_column(str_enum(BuyerKind, 30))
    buyer_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id"), default=None
    )
    buyer_province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    origin_county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    origin_province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # Idempotency: a line is sold once, and refunded at most once per refund. Partial
        # indexes, because NULL refund ids would never collide in a plain unique constraint.
        Index(
            "uq_impact_ledger_entries_sale",
            "order_line_id",
            unique=True,
            postgresql_where=text("refund_id IS NULL"),
            sqlite_where=text("refund_id IS NULL"),
        ),
        Index(
            "uq_impact_ledger_entries_refund",
            "order_line_id",
            "refund_id",
            unique=True,
            postgresql_where=text("refund_id IS NOT NULL"),
            sqlite_where=text("refund_id IS NOT NULL"),
        ),
        Index("ix_impact_ledger_entries_period", "period_year", "period_month"),
        Index("ix_impact_ledger_entries_order_id", "order_id"),
        CheckConstraint("period_month BETWEEN 1 AND 12", name="month_in_range"),
        CheckConstraint(
            "(kind = 'sale' AND refund_id IS NULL AND quantity > 0 AND amount_fen > 0)"
            " OR (kind = 'refund' AND refund_id IS NOT NULL AND quantity < 0 AND amount_fen < 0)",
            name="sign_matches_kind",
        ),
    )


class EntryPairing(Base):
    """An entry counted for a pairing, with the amount it counts for (append-only)."""

    __tablename__ = "impact_entry_pairings"

    entry_id: Mapped[int] = mapped_column(ForeignKey("impact_ledger_entries.id"), primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id"), primary_key=True)
    amount_fen: Mapped[int]

    __table_args__ = (Index("ix_impact_entry_pairings_pairing_id", "pairing_id"),)


# ---------------------------------------------------------------------------------------------
# Rollups: one row per group and period. `order_count` is the number of distinct orders with a
# sale entry in the group and period; refunds change amounts, never order counts.


class TotalByMonth(Base):
    """Everything, per month: the headline totals and the monthly trend."""

    __tablename__ = "impact_totals_by_month"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)


class TotalByPairing(Base):
    __tablename__ = "impact_totals_by_pairing"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    pairing_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)


class TotalByPairingCounty(Base):
    """Per pairing and origin county, per year: the counties a pairing reached."""

    __tablename__ = "impact_totals_by_pairing_county"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    pairing_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)


class TotalByCounty(Base):
    """Per origin county, per month."""

    __tablename__ = "impact_totals_by_county"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_impact_totals_by_county_code_year", "county_code", "year"),)


class TotalByCountyYear(Base):
    """Per origin county, per year: counties benefited and the top counties, without summing
    months at report time."""

    __tablename__ = "impact_totals_by_county_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)


class TotalByProvince(Base):
    """Per province of origin (the helped province), per month."""

    __tablename__ = "impact_totals_by_province"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    province_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)


class TotalByCooperative(Base):
    __tablename__ = "impact_totals_by_cooperative"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cooperative_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_impact_totals_by_cooperative_id_year", "cooperative_id", "year"),)


class TotalByCooperativeYear(Base):
    """Per supplier, per year: suppliers benefited and the households they support."""

    __tablename__ = "impact_totals_by_cooperative_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cooperative_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)


class TotalByOrganization(Base):
    """Per buyer organisation, per month (its progress against its reserved-share target)."""

    __tablename__ = "impact_totals_by_organization"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    organization_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_impact_totals_by_organization_id_year", "organization_id", "year"),)


class TotalByOrganizationCounty(Base):
    """Per buyer organisation and origin county, per year."""

    __tablename__ = "impact_totals_by_organization_county"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    organization_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)


class TotalByBuyerKind(Base):
    __tablename__ = "impact_totals_by_buyer_kind"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    buyer_kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)


class TotalByCountyBuyerProvince(Base):
    """Per origin county and buyer province, per year: where a county's buyers are."""

    __tablename__ = "impact_totals_by_county_buyer_province"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    buyer_province_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        Index(
            "ix_impact_totals_by_county_buyer_province_buyer",
            "buyer_province_code",
            "year",
        ),
    )


class TotalByCooperativeBuyerProvince(Base):
    """Per supplier and buyer province, per year: where a supplier's buyers are."""

    __tablename__ = "impact_totals_by_cooperative_buyer_province"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cooperative_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    buyer_province_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)


class TotalByKeyAssistance(Base):
    """Entries from the national key-assistance counties (乡村振兴重点帮扶县), per month: the
    share of the whole that monitoring follows. An entry counts when its origin county is on the
    160 list (the reference data's flag, read when the entry is written and again by reconcile)."""

    __tablename__ = "impact_totals_by_key_assistance"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount_fen: Mapped[int] = mapped_column(default=0)
    order_count: Mapped[int] = mapped_column(default=0)


class LedgerGuard(Base):
    """One row: on SQLite, the DELETE triggers let rows go only while `purge_allowed` is set
    (test clean-up and benchmarks, inside one transaction). PostgreSQL uses the transaction
    setting `fengshou.allow_ledger_purge` instead and ignores this table."""

    __tablename__ = "impact_ledger_guard"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    purge_allowed: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


ROLLUP_MODELS: tuple[type[Base], ...] = (
    TotalByMonth,
    TotalByPairing,
    TotalByPairingCounty,
    TotalByCounty,
    TotalByCountyYear,
    TotalByProvince,
    TotalByCooperative,
    TotalByCooperativeYear,
    TotalByOrganization,
    TotalByOrganizationCounty,
    TotalByBuyerKind,
    TotalByCountyBuyerProvince,
    TotalByCooperativeBuyerProvince,
    TotalByKeyAssistance,
)
LEDGER_MODELS: tuple[type[Base], ...] = (LedgerEntry, EntryPairing)
