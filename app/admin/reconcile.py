"""`fengshou reconcile`: recompute every benefit total from orders and refunds, never from the
ledger, and compare with the ledger entries, their attributions and the rollups, to the fen.

Sources: every order line of an order with a payment time (`paid_at`; paid, completed, or
cancelled after payment, whose refund then counts against it), and every succeeded refund's
lines at the refund's time (`created_at`). Attribution is recomputed by the same date rule the
writer applies; a pairing changed after the fact (an `until` set retroactively) therefore shows
as a difference, which is what an auditor wants to see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.admin import repository
from app.core.clock import CHINA_TZ, china_date
from app.core.money import format_yuan
from app.impact import repository as impact_repository
from app.impact.attribution import Buyer, PairingIndex
from app.impact.ledger import entry_facts
from app.impact.models import EntryKind, LedgerEntry
from app.impact.rollups import ROLLUPS, EntryFacts, GroupKey, fold
from app.order.models import Order, OrderLine
from app.regions.models import County

# Differences listed per kind before "… and N more"; the counts are always complete.
MAX_LISTED = 50


@dataclass
class ReconcileReport:
    """What was compared and every difference found, in words."""

    year: int | None
    orders: int = 0
    refunds: int = 0
    expected_entries: int = 0
    ledger_entries: int = 0
    rollup_rows: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def render(self) -> str:
        period = f"reporting year {self.year}" if self.year is not None else "all reporting years"
        lines = [
            f"Reconciling benefit totals for {period} (China Standard Time)",
            f"  sources: {self.orders} paid order(s), {self.refunds} succeeded refund(s)",
            f"  ledger: {self.expected_entries} entries expected, {self.ledger_entries} found",
            f"  rollups: {self.rollup_rows} row(s) checked",
        ]
        if self.ok:
            lines.append("no difference")
        else:
            lines.append(f"{len(self.differences)} difference(s):")
            lines.extend(f"  - {text}" for text in self.differences[:MAX_LISTED])
            if len(self.differences) > MAX_LISTED:
                lines.append(f"  … and {len(self.differences) - MAX_LISTED} more")
        return "\n".join(lines)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """The UTC instants where a China reporting year starts and the next one starts."""
    start = datetime(year, 1, 1, tzinfo=CHINA_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)
    return start, end


def _fen(amount: int) -> str:
    return f"{amount} fen ({format_yuan(amount)})"


def _describe(facts: EntryFacts) -> str:
    what = "sale" if facts.kind == EntryKind.SALE else f"refund {facts.refund_id}"
    return (
        f"{what} of order {facts.order_id} line {facts.order_line_id} "
        f"({facts.period_year}-{facts.period_month:02d}, {_fen(facts.amount_fen)})"
    )


def _stored_facts(entry: LedgerEntry, attributions: tuple[tuple[int, int], ...]) -> EntryFacts:
    return EntryFacts(
        kind=entry.kind,
        order_id=entry.order_id,
        order_line_id=entry.order_line_id,
        refund_id=entry.refund_id,
        occurred_at=entry.occurred_at,
        period_year=entry.period_year,
        period_month=entry.period_month,
        quantity=entry.quantity,
        amount_fen=entry.amount_fen,
        buyer_kind=str(entry.buyer_kind),
        buyer_organization_id=entry.buyer_organization_id,
        buyer_province_code=entry.buyer_province_code,
        origin_county_code=entry.origin_county_code,
        origin_province_code=entry.origin_province_code,
        cooperative_id=entry.cooperative_id,
        product_id=entry.product_id,
        pairing_ids=tuple(pairing_id for pairing_id, _ in attributions),
    )


def _compare_entries(
    expected: Mapping[tuple[int, int], EntryFacts],
    stored: Mapping[tuple[int, int], tuple[EntryFacts, tuple[tuple[int, int], ...]]],
    report: ReconcileReport,
) -> None:
    for key, facts in expected.items():
        if key not in stored:
            report.differences.append(f"missing ledger entry: {_describe(facts)}")
            continue
        found, attributions = stored[key]
        for name, want in facts.row().items():
            have = found.row()[name]
            if str(want) != str(have):
                report.differences.append(
                    f"ledger entry differs: {_describe(facts)}: {name} is {have}, "
                    f"the orders say {want}"
                )
        want_pairings = tuple((p, facts.amount_fen) for p in facts.pairing_ids)
        if attributions != want_pairings:
            report.differences.append(
                f"attribution differs: {_describe(facts)}: counted for pairings "
                f"{[p for p, _ in attributions] or 'none'} with amounts "
                f"{[a for _, a in attributions] or '-'}, the rule says "
                f"{list(facts.pairing_ids) or 'none'}"
            )
    for key, (found, _attributions) in stored.items():
        if key not in expected:
            report.differences.append(
                f"ledger entry without a paid order line or succeeded refund: {_describe(found)}"
            )


def _compare_rollups(
    table: str,
    expected: Mapping[GroupKey, tuple[int, int]],
    stored: Mapping[GroupKey, tuple[int, int]],
    report: ReconcileReport,
) -> None:
    for key in sorted(set(expected) | set(stored), key=repr):
        want = expected.get(key, (0, 0))
        have = stored.get(key, (0, 0))
        if want != have:
            report.differences.append(
                f"rollup {table} {key}: holds {_fen(have[0])} / {have[1]} order(s), "
                f"the orders say {_fen(want[0])} / {want[1]} order(s)"
            )


def _expected_entries(
    orders: Iterable[Order],
    refunds: Iterable[tuple[int, int, list[dict[str, object]], datetime]],
    counties: Mapping[str, County],
    index: PairingIndex,
    year: int | None,
    report: ReconcileReport,
) -> dict[tuple[int, int], EntryFacts]:
    """The entries the orders and refunds call for (of `year`), with their attributions."""
    expected: dict[tuple[int, int], EntryFacts] = {}
    paid = {order.id: (order, order.paid_at) for order in orders if order.paid_at is not None}
    lines = {line.id: line for order, _ in paid.values() for line in order.lines}

    def add(
        order: Order,
        paid_at: datetime,
        line: OrderLine,
        refund_id: int | None,
        quantity: int,
        at: datetime,
    ) -> None:
        county = counties[line.origin_county_code]
        buyer = Buyer(order.buyer_province_code, order.organization_id)
        facts = entry_facts(
            order,
            line,
            county,
            refund_id=refund_id,
            quantity=quantity,
            occurred_at=at,
            pairing_ids=index.pairing_ids(county, buyer, china_date(paid_at)),
        )
        expected[facts.key] = facts

    for order, paid_at in paid.values():
        if year is None or china_date(paid_at).year == year:
            for line in order.lines:
                add(order, paid_at, line, None, line.quantity, paid_at)
    for refund_id, order_id, refund_lines, created_at in refunds:
        for item in refund_lines:
            line_id, quantity = item.get("order_line_id"), item.get("quantity")
            refunded = lines.get(line_id) if isinstance(line_id, int) else None
            if refunded is None or refunded.order_id != order_id or not isinstance(quantity, int):
                report.differences.append(
                    f"refund {refund_id} names {item}, not units of a line of paid order "
                    f"{order_id}: the ledger cannot hold it"
                )
                continue
            order, paid_at = paid[order_id]
            add(order, paid_at, refunded, refund_id, -quantity, created_at)
    return expected


async def reconcile(session: AsyncSession, *, year: int | None = None) -> ReconcileReport:
    """Compare the ledger and every rollup (of one reporting year, or all) with totals
    recomputed from orders and refunds; the report lists each difference. Call first thing
    in a fresh read-only transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # One snapshot for every read, so that payments committed meanwhile cannot show as
        # differences (SQLite's read transaction is a snapshot already).
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    report = ReconcileReport(year=year)
    since, until = _year_bounds(year) if year is not None else (None, None)
    refunds = await repository.succeeded_refunds(session, since, until)
    orders = await repository.paid_orders(
        session, since=since, until=until, also_ids={order_id for _, order_id, _, _ in refunds}
    )
    report.orders = sum(
        1
        for o in orders
        if o.paid_at is not None and (year is None or china_date(o.paid_at).year == year)
    )
    report.refunds = len(refunds)
    counties = await impact_repository.counties(
        session, {line.origin_county_code for order in orders for line in order.lines}
    )
    index = PairingIndex(await impact_repository.pairings_helping_provinces(session, None))
    expected = _expected_entries(orders, refunds, counties, index, year, report)
    report.expected_entries = len(expected)

    stored_rows = await impact_repository.ledger_entries(session, year)
    report.ledger_entries = len(stored_rows)
    stored = {}
    for entry, attributions in stored_rows:
        facts = _stored_facts(entry, attributions)
        stored[facts.key] = (facts, attributions)
    _compare_entries(expected, stored, report)

    totals = fold(expected.values())
    for spec in ROLLUPS:
        rows = await impact_repository.rollup_rows(session, spec, year)
        report.rollup_rows += len(rows)
        _compare_rollups(spec.table, totals[spec.table], rows, report)
    return report
