"""Writing the benefit ledger: a sale entry per paid order line, a refund entry per refunded
line, their pairing attributions and the rollups, all in the caller's transaction.

The payment domain calls these from `_payment_succeeded` (record_sale) and `_refund_succeeded`
(record_refund), so that an entry exists exactly when its payment or refund does. Both are
idempotent: entries carry a unique (order line, refund) key, the insert skips keys already
written (ON CONFLICT DO NOTHING) and only what was written is added to the rollups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import china_date
from app.impact import repository
from app.impact.attribution import Buyer, PairingIndex
from app.impact.errors import InvalidRefundLines, OrderNotPaid
from app.impact.models import EntryKind
from app.impact.rollups import ROLLUPS, EntryFacts, fold, rows_of
from app.order import service as order_service
from app.order.models import Order, OrderLine
from app.regions.models import County


def entry_facts(
    order: Order,
    line: OrderLine,
    county: County,
    *,
    refund_id: int | None,
    quantity: int,
    occurred_at: datetime,
    pairing_ids: tuple[int, ...],
) -> EntryFacts:
    """The entry of `quantity` units of `line` (negative for a refund) at `occurred_at`:
    goods only (units × unit price, never shipping), buyer and origin from the order."""
    day = china_date(occurred_at)
    return EntryFacts(
        kind=EntryKind.SALE if refund_id is None else EntryKind.REFUND,
        order_id=order.id,
        order_line_id=line.id,
        refund_id=refund_id,
        occurred_at=occurred_at,
        period_year=day.year,
        period_month=day.month,
        quantity=quantity,
        amount_fen=quantity * line.unit_price_fen,
        buyer_kind=str(order.buyer_kind),
        buyer_organization_id=order.organization_id,
        buyer_province_code=order.buyer_province_code,
        origin_county_code=line.origin_county_code,
        origin_province_code=county.province_code,
        cooperative_id=line.cooperative_id,
        product_id=line.product_id,
        pairing_ids=pairing_ids,
        key_assistance=county.key_assistance,
    )


async def _pairing_index(session: AsyncSession, counties: Iterable[County]) -> PairingIndex:
    provinces = {county.province_code for county in counties}
    return PairingIndex(await repository.pairings_helping_provinces(session, provinces))


async def _write(session: AsyncSession, facts: list[EntryFacts]) -> int:
    """Insert entries (skipping keys already present), attribute and roll up what was new."""
    if not facts:
        return 0
    inserted = await repository.insert_entries(session, [f.row() for f in facts])
    written = [f for f in facts if f.key in inserted]
    await repository.insert_attributions(
        session,
        [
            {"entry_id": inserted[f.key], "pairing_id": pairing_id, "amount_fen": f.amount_fen}
            for f in written
            for pairing_id in f.pairing_ids
        ],
    )
    totals = fold(written)
    for spec in ROLLUPS:
        await repository.add_to_rollup(session, spec, rows_of(spec, totals[spec.table]))
    return len(written)


async def record_sale(session: AsyncSession, *, order_id: int) -> int:
    """Write the sale entries of a paid order (one per line, at its `paid_at`), once.

    Call in the transaction that marks the order paid. Answers how many entries were written:
    0 when the order was recorded already.
    """
    order = await order_service.get_order(session, order_id)
    if order.paid_at is None:
        raise OrderNotPaid(order_id)
    recorded = await repository.recorded_sale_lines(session, order.id)
    lines = [line for line in order.lines if line.id not in recorded]
    if not lines:
        return 0
    counties = await repository.counties(session, {line.origin_county_code for line in lines})
    index = await _pairing_index(session, counties.values())
    buyer = Buyer(order.buyer_province_code, order.organization_id)
    paid_on = china_date(order.paid_at)
    facts = []
    for line in lines:
        county = counties[line.origin_county_code]
        facts.append(
            entry_facts(
                order,
                line,
                county,
                refund_id=None,
                quantity=line.quantity,
                occurred_at=order.paid_at,
                pairing_ids=index.pairing_ids(county, buyer, paid_on),
            )
        )
    return await _write(session, facts)


def _refund_quantities(order: Order, lines: Iterable[Mapping[str, Any]]) -> dict[int, int]:
    """{order_line_id: units} of a refund's lines ([{order_line_id, quantity, …}])."""
    by_id = {line.id: line for line in order.lines}
    quantities: dict[int, int] = {}
    problems: dict[str, str] = {}
    for i, item in enumerate(lines):
        line_id, quantity = item.get("order_line_id"), item.get("quantity")
        if type(line_id) is not int or line_id not in by_id:
            problems[f"lines.{i}.order_line_id"] = "not a line of this order"
        elif line_id in quantities:
            problems[f"lines.{i}.order_line_id"] = "named twice"
        elif type(quantity) is not int or not 1 <= quantity <= by_id[line_id].quantity:
            problems[f"lines.{i}.quantity"] = "a whole number of units of the line"
        else:
            quantities[line_id] = quantity
    if problems:
        raise InvalidRefundLines(problems)
    return quantities


async def record_refund(
    session: AsyncSession,
    *,
    refund_id: int,
    order_id: int,
    lines: Iterable[Mapping[str, Any]],
    refunded_at: datetime,
) -> int:
    """Write a negative entry per refunded line (−units × unit price, never shipping), once.

    `lines` is the refund's goods ([{order_line_id, quantity, …}], empty for money that bought
    nothing); `refunded_at` is the refund's time (its `created_at`: when the units were taken
    back), which decides its China month. Each entry counts for the pairings its sale counted
    for, so that a refund takes back exactly what its sale gave. Answers the entries written.
    """
    order = await order_service.get_order(session, order_id)
    quantities = _refund_quantities(order, lines)
    recorded = await repository.recorded_refund_lines(session, refund_id)
    todo = {line_id: q for line_id, q in quantities.items() if line_id not in recorded}
    if not todo:
        return 0
    if order.paid_at is None:
        raise OrderNotPaid(order_id)
    by_id = {line.id: line for line in order.lines}
    counties = await repository.counties(
        session, {by_id[line_id].origin_county_code for line_id in todo}
    )
    sold = await repository.sale_pairings(session, todo.keys())
    index: PairingIndex | None = None
    buyer = Buyer(order.buyer_province_code, order.organization_id)
    facts = []
    for line_id, quantity in sorted(todo.items()):
        line = by_id[line_id]
        county = counties[line.origin_county_code]
        pairing_ids = sold.get(line_id)
        if pairing_ids is None:
            # No sale entry (an order paid before the ledger existed): the rule, at payment.
            index = index or await _pairing_index(session, counties.values())
            pairing_ids = index.pairing_ids(county, buyer, china_date(order.paid_at))
        facts.append(
            entry_facts(
                order,
                line,
                county,
                refund_id=refund_id,
                quantity=-quantity,
                occurred_at=refunded_at,
                pairing_ids=pairing_ids,
            )
        )
    return await _write(session, facts)
