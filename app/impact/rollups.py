"""The rollups as data: which groups an entry adds to, and the fold that sums entries per group.

The ledger writer folds the entries it has just written and adds the result to the rollup
tables; `reconcile` folds entries recomputed from orders and refunds and compares. One fold
for both, so that the two can only disagree about the data, never about the arithmetic.

order_count, precisely: the number of distinct orders with a sale entry in the group and
period. All sale entries of an order are written by one call at one moment (its payment, so
one month), so the writer adds 1 per group the order touches and no (group, order) table is
needed; refunds add 0. A fully refunded order still counts as an order placed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core.db import Base
from app.impact import models
from app.impact.models import EntryKind

# A rollup row's key: its primary-key values in column order (year first).
GroupKey = tuple[Any, ...]


@dataclass(frozen=True)
class EntryFacts:
    """A ledger entry as plain data: what the writer inserts and what reconcile recomputes."""

    kind: EntryKind
    order_id: int
    order_line_id: int
    refund_id: int | None
    occurred_at: datetime
    period_year: int
    period_month: int
    quantity: int
    amount_fen: int
    buyer_kind: str
    buyer_organization_id: int | None
    buyer_province_code: str
    origin_county_code: str
    origin_province_code: str
    cooperative_id: int
    product_id: int
    pairing_ids: tuple[int, ...] = ()
    # The origin county is a key-assistance county (of the 160): not a ledger column, the
    # county's flag, so that reconcile recomputes it from the reference data.
    key_assistance: bool = False

    @property
    def key(self) -> tuple[int, int]:
        """The idempotency key: (order line, refund or 0 for the sale)."""
        return (self.order_line_id, self.refund_id or 0)

    def row(self) -> dict[str, Any]:
        """The ledger row's columns."""
        return {
            "kind": self.kind,
            "occurred_at": self.occurred_at,
            "period_year": self.period_year,
            "period_month": self.period_month,
            "order_id": self.order_id,
            "order_line_id": self.order_line_id,
            "refund_id": self.refund_id,
            "quantity": self.quantity,
            "amount_fen": self.amount_fen,
            "buyer_kind": self.buyer_kind,
            "buyer_organization_id": self.buyer_organization_id,
            "buyer_province_code": self.buyer_province_code,
            "origin_county_code": self.origin_county_code,
            "origin_province_code": self.origin_province_code,
            "cooperative_id": self.cooperative_id,
            "product_id": self.product_id,
        }


@dataclass(frozen=True)
class RollupSpec:
    """A rollup table, its key columns (primary key order) and the groups an entry adds to."""

    model: type[Base]
    columns: tuple[str, ...]
    groups: Callable[[EntryFacts], Iterable[GroupKey]]

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)


def _monthly(*values: Callable[[EntryFacts], Any]) -> Callable[[EntryFacts], list[GroupKey]]:
    def groups(e: EntryFacts) -> list[GroupKey]:
        return [(e.period_year, e.period_month, *(value(e) for value in values))]

    return groups


def _yearly(*values: Callable[[EntryFacts], Any]) -> Callable[[EntryFacts], list[GroupKey]]:
    def groups(e: EntryFacts) -> list[GroupKey]:
        return [(e.period_year, *(value(e) for value in values))]

    return groups


def _organization_monthly(e: EntryFacts) -> list[GroupKey]:
    if e.buyer_organization_id is None:
        return []
    return [(e.period_year, e.period_month, e.buyer_organization_id)]


def _key_assistance_monthly(e: EntryFacts) -> list[GroupKey]:
    return [(e.period_year, e.period_month)] if e.key_assistance else []


def _organization_county(e: EntryFacts) -> list[GroupKey]:
    if e.buyer_organization_id is None:
        return []
    return [(e.period_year, e.buyer_organization_id, e.origin_county_code)]


ROLLUPS: tuple[RollupSpec, ...] = (
    RollupSpec(models.TotalByMonth, ("year", "month"), _monthly()),
    RollupSpec(
        models.TotalByPairing,
        ("year", "month", "pairing_id"),
        lambda e: [(e.period_year, e.period_month, p) for p in e.pairing_ids],
    ),
    RollupSpec(
        models.TotalByPairingCounty,
        ("year", "pairing_id", "county_code"),
        lambda e: [(e.period_year, p, e.origin_county_code) for p in e.pairing_ids],
    ),
    RollupSpec(
        models.TotalByCounty,
        ("year", "month", "county_code"),
        _monthly(lambda e: e.origin_county_code),
    ),
    RollupSpec(
        models.TotalByCountyYear, ("year", "county_code"), _yearly(lambda e: e.origin_county_code)
    ),
    RollupSpec(
        models.TotalByProvince,
        ("year", "month", "province_code"),
        _monthly(lambda e: e.origin_province_code),
    ),
    RollupSpec(
        models.TotalByCooperative,
        ("year", "month", "cooperative_id"),
        _monthly(lambda e: e.cooperative_id),
    ),
    RollupSpec(
        models.TotalByCooperativeYear,
        ("year", "cooperative_id"),
        _yearly(lambda e: e.cooperative_id),
    ),
    RollupSpec(
        models.TotalByOrganization, ("year", "month", "organization_id"), _organization_monthly
    ),
    RollupSpec(
        models.TotalByOrganizationCounty,
        ("year", "organization_id", "county_code"),
        _organization_county,
    ),
    RollupSpec(
        models.TotalByBuyerKind,
        ("year", "month", "buyer_kind"),
        _monthly(lambda e: str(e.buyer_kind)),
    ),
    RollupSpec(
        models.TotalByCountyBuyerProvince,
        ("year", "county_code", "buyer_province_code"),
        _yearly(lambda e: e.origin_county_code, lambda e: e.buyer_province_code),
    ),
    RollupSpec(
        models.TotalByCooperativeBuyerProvince,
        ("year", "cooperative_id", "buyer_province_code"),
        _yearly(lambda e: e.cooperative_id, lambda e: e.buyer_province_code),
    ),
    RollupSpec(models.TotalByKeyAssistance, ("year", "month"), _key_assistance_monthly),
)


@dataclass
class GroupTotal:
    """A group's sum while folding: its amount and the orders with a sale in it."""

    amount_fen: int = 0
    orders: set[int] = field(default_factory=set)

    @property
    def order_count(self) -> int:
        return len(self.orders)


# table name → group key → (amount_fen, order_count)
Totals = dict[str, dict[GroupKey, tuple[int, int]]]


def fold(entries: Iterable[EntryFacts]) -> Totals:
    """Sum entries into every rollup: per table, per group, (amount_fen, order_count)."""
    sums: dict[str, dict[GroupKey, GroupTotal]] = {spec.table: {} for spec in ROLLUPS}
    for entry in entries:
        for spec in ROLLUPS:
            table = sums[spec.table]
            for key in spec.groups(entry):
                total = table.get(key)
                if total is None:
                    total = table[key] = GroupTotal()
                total.amount_fen += entry.amount_fen
                if entry.kind == EntryKind.SALE:
                    total.orders.add(entry.order_id)
    return {
        table: {key: (total.amount_fen, total.order_count) for key, total in groups.items()}
        for table, groups in sums.items()
    }


def spec_for(table: str) -> RollupSpec:
    for spec in ROLLUPS:
        if spec.table == table:
            return spec
    raise KeyError(table)


def rows_of(spec: RollupSpec, groups: Mapping[GroupKey, tuple[int, int]]) -> list[dict[str, Any]]:
    """Rollup rows to upsert, sorted by key: concurrent writers then lock rows in one order."""
    return [
        {
            **dict(zip(spec.columns, key, strict=True)),
            "amount_fen": amount,
            "order_count": orders,
        }
        for key, (amount, orders) in sorted(groups.items())
    ]
