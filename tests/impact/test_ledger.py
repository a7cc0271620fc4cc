"""Writing the ledger: one entry per paid line (goods only), negative entries for refunded units,
China-time periods, idempotency, and the refusals that leave nothing written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.core.db import Database, unit_of_work
from app.impact import ledger
from app.impact.errors import InvalidRefundLines, OrderNotPaid
from app.impact.models import EntryKind, EntryPairing, LedgerEntry
from app.order.models import BuyerKind
from tests.account.factories import create_user
from tests.catalog.factories import create_seller
from tests.impact.factories import (
    GUANGDONG,
    GUIZHOU,
    SANDU,
    SHUFU,
    XINJIANG,
    Line,
    count,
    create_order,
    entries,
    paid_order,
    record_payment,
    refund,
    rollup_snapshot,
)
from tests.organization.factories import create_organization

MAY = datetime(2026, 5, 10, 4, 0, tzinfo=UTC)


async def test_a_paid_order_writes_one_entry_per_line_with_goods_only(database: Database) -> None:
    sandu = await create_seller(database, county_code=SANDU)
    shufu = await create_seller(database, county_code=SHUFU)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(sandu, 3, 1250), Line(shufu, 2, 9900)],
        buyer_province_code=GUANGDONG,
        paid_at=MAY,
    )

    rows = await entries(database, order.id)

    assert [(r.order_line_id, r.quantity, r.amount_fen) for r in rows] == [
        (order.line_ids[0], 3, 3750),
        (order.line_ids[1], 2, 19800),
    ]
    assert sum(r.amount_fen for r in rows) == 3750 + 19800  # the 800 fen of shipping: never
    first, second = rows
    assert first.kind == EntryKind.SALE and first.refund_id is None
    assert first.occurred_at == MAY
    assert (first.period_year, first.period_month) == (2026, 5)
    assert first.buyer_kind == BuyerKind.CONSUMER
    assert first.buyer_organization_id is None
    assert first.buyer_province_code == GUANGDONG
    assert (first.origin_county_code, first.origin_province_code) == (SANDU, GUIZHOU)
    assert (second.origin_county_code, second.origin_province_code) == (SHUFU, XINJIANG)
    assert (first.cooperative_id, first.product_id) == (sandu.cooperative_id, sandu.product_id)
    assert (second.cooperative_id, second.product_id) == (shufu.cooperative_id, shufu.product_id)


async def test_an_organisation_order_carries_its_kind_and_organisation(database: Database) -> None:
    seller = await create_seller(database, county_code=SANDU)
    organization = await create_organization(database, region_code="440106")
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 1, 500)],
        buyer_province_code=GUANGDONG,
        organization_id=organization,
        buyer_kind=BuyerKind.GOVERNMENT,
        paid_at=MAY,
    )

    (entry,) = await entries(database, order.id)

    assert entry.buyer_kind == BuyerKind.GOVERNMENT
    assert entry.buyer_organization_id == organization


@pytest.mark.parametrize(
    ("paid_at", "period"),
    [
        (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), (2027, 1)),  # 01:00 on 1 January in China
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), (2027, 1)),  # midnight in China
        (datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC), (2026, 12)),
        (datetime(2026, 5, 31, 16, 30, tzinfo=UTC), (2026, 6)),
    ],
)
async def test_the_period_is_the_china_month_of_the_payment(
    database: Database, paid_at: datetime, period: tuple[int, int]
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 1, 100)],
        buyer_province_code=GUANGDONG,
        paid_at=paid_at,
    )

    (entry,) = await entries(database, order.id)

    assert (entry.period_year, entry.period_month) == period
    assert entry.occurred_at == paid_at  # stored in UTC, as it happened


async def test_recording_a_payment_twice_writes_nothing_the_second_time(
    database: Database,
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 2, 700), Line(seller, 1, 300)],
        buyer_province_code=GUANGDONG,
        paid_at=MAY,
    )
    before_entries = await entries(database)
    before_rollups = await rollup_snapshot(database)
    attributed = await count(database, EntryPairing)

    assert await record_payment(database, order.id) == 0

    assert [e.id for e in await entries(database)] == [e.id for e in before_entries]
    assert await rollup_snapshot(database) == before_rollups
    assert await count(database, EntryPairing) == attributed


async def test_a_refund_writes_negative_entries_at_the_refund_time(database: Database) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 3, 1250), Line(seller, 1, 400)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 12, 20, 2, 0, tzinfo=UTC),
    )
    refunded_at = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 2027-01-01 in China

    refund_id = await refund(database, order.id, [(order.line_ids[0], 2)], at=refunded_at)

    rows = [e for e in await entries(database, order.id) if e.kind == EntryKind.REFUND]
    assert len(rows) == 1
    (entry,) = rows
    assert entry.refund_id == refund_id
    assert (entry.quantity, entry.amount_fen) == (-2, -2500)
    assert entry.occurred_at == refunded_at
    assert (entry.period_year, entry.period_month) == (2027, 1)
    assert entry.order_line_id == order.line_ids[0]
    assert (entry.origin_county_code, entry.buyer_province_code) == (SANDU, GUANGDONG)


async def test_recording_a_refund_twice_writes_nothing_the_second_time(
    database: Database,
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 3, 1250)],
        buyer_province_code=GUANGDONG,
        paid_at=MAY,
    )
    refund_id = await refund(database, order.id, [(order.line_ids[0], 1)], at=MAY)
    before = await rollup_snapshot(database)
    count_before = await count(database, LedgerEntry)

    async with unit_of_work(database.writer) as session:
        written = await ledger.record_refund(
            session,
            refund_id=refund_id,
            order_id=order.id,
            lines=[{"order_line_id": order.line_ids[0], "quantity": 1}],
            refunded_at=MAY,
        )

    assert written == 0
    assert await count(database, LedgerEntry) == count_before
    assert await rollup_snapshot(database) == before


async def test_a_refund_of_money_that_bought_nothing_writes_nothing(database: Database) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await create_order(
        database, buyer_user_id=buyer, lines=[Line(seller, 1, 100)], buyer_province_code=GUANGDONG
    )

    async with unit_of_work(database.writer) as session:
        written = await ledger.record_refund(
            session, refund_id=1, order_id=order.id, lines=[], refunded_at=MAY
        )

    assert written == 0
    assert await count(database, LedgerEntry) == 0


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"order_line_id": 999_999_999, "quantity": 1}], "lines.0.order_line_id"),
        ([{"order_line_id": "LINE", "quantity": 1}], "lines.0.order_line_id"),
        ([{"quantity": 1}], "lines.0.order_line_id"),
        ([{"order_line_id": "OWN", "quantity": 0}], "lines.0.quantity"),
        ([{"order_line_id": "OWN", "quantity": 4}], "lines.0.quantity"),
        ([{"order_line_id": "OWN", "quantity": "1"}], "lines.0.quantity"),
        ([{"order_line_id": "OWN", "quantity": True}], "lines.0.quantity"),
        (
            [{"order_line_id": "OWN", "quantity": 1}, {"order_line_id": "OWN", "quantity": 1}],
            "lines.1.order_line_id",
        ),
    ],
)
async def test_refund_lines_the_ledger_cannot_hold_are_refused_and_nothing_is_written(
    database: Database, lines: list[dict[str, Any]], field: str
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 3, 1250)],
        buyer_province_code=GUANGDONG,
        paid_at=MAY,
    )
    own = order.line_ids[0]
    given = [{k: (own if v == "OWN" else v) for k, v in item.items()} for item in lines]
    before = await rollup_snapshot(database)

    with pytest.raises(InvalidRefundLines) as raised:
        async with unit_of_work(database.writer) as session:
            await ledger.record_refund(
                session, refund_id=77, order_id=order.id, lines=given, refunded_at=MAY
            )

    assert raised.value.code == "invalid_refund_lines"
    assert raised.value.status_code == 422
    # The one field at fault, and why (the second naming of a line is the duplicate).
    why = {
        "lines.0.order_line_id": "not a line of this order",
        "lines.1.order_line_id": "named twice",
        "lines.0.quantity": "a whole number of units of the line",
    }
    assert raised.value.fields == {field: why[field]}
    assert await count(database, LedgerEntry) == 1  # the sale only
    assert await rollup_snapshot(database) == before


async def test_an_unpaid_order_is_refused_and_nothing_is_written(database: Database) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await create_order(
        database, buyer_user_id=buyer, lines=[Line(seller, 1, 100)], buyer_province_code=GUANGDONG
    )

    with pytest.raises(OrderNotPaid) as raised:
        await record_payment(database, order.id)

    assert (raised.value.status_code, raised.value.code) == (409, "order_not_paid")
    assert raised.value.message == (
        f"Order {order.id} has not been paid; it has no benefit to record."
    )
    with pytest.raises(OrderNotPaid) as raised:
        await refund(database, order.id, [(order.line_ids[0], 1)], at=MAY)
    assert raised.value.message == (
        f"Order {order.id} has not been paid; it has no benefit to record."
    )
    assert await count(database, LedgerEntry) == 0
    assert await rollup_snapshot(database) == {k: [] for k in await rollup_snapshot(database)}
