"""Plain typed factories for impact tests: orders paid at given times (the ledger written as the
payment hook writes it), refunds with their rows, pairings, targets; the ledger read back."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, text

from app.core.db import Database, unit_of_work
from app.impact import ledger
from app.impact.models import EntryPairing, LedgerEntry
from app.order.models import (
    BuyerKind,
    Fulfillment,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
)
from app.organization.models import ReservedShareTarget
from app.payment.models import Payment, PaymentStatus, Refund, RefundStatus
from app.regions.models import AreaKind, HelperKind, Pairing, PairingArea, PairingKind
from tests.account.factories import create_user
from tests.catalog.factories import Seller, create_seller
from tests.organization.factories import create_organization

# Counties the tests sell from, and the reference pairings that help them.
SANDU = "522732"  # 三都水族自治县, 贵州 (east_west 广东 → 贵州, the whole province)
SHUFU = "653121"  # 疏附县, 新疆 (counterpart_support 广东 → 疏附县 and others, by county)
KASHI = "653101"  # 喀什市, 新疆 (counterpart_support 广东（深圳市）→ 喀什市)
HETIAN = "653221"  # 和田县, 新疆 (counterpart_support 北京 → 和田县)
GUANGDONG = "440000"
BEIJING = "110000"
SHANGHAI = "310000"
GUIZHOU = "520000"
XINJIANG = "650000"


async def set_target(
    database: Database, organization_id: int, year: int, budget_fen: int, share_bp: int
) -> None:
    async with unit_of_work(database.writer) as session:
        session.add(
            ReservedShareTarget(
                organization_id=organization_id,
                year=year,
                canteen_budget_fen=budget_fen,
                reserved_share_bp=share_bp,
            )
        )


async def create_pairing(
    database: Database,
    *,
    kind: PairingKind,
    helped_province: str,
    helper_province: str | None = None,
    helper_organization_id: int | None = None,
    counties: Sequence[str] = (),
    prefectures: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
) -> int:
    async with unit_of_work(database.writer) as session:
        pairing = Pairing(
            kind=kind,
            helper_kind=(
                HelperKind.ORGANIZATION if helper_organization_id else HelperKind.PROVINCE
            ),
            helper_province_code=helper_province,
            helper_organization_id=helper_organization_id,
            helped_province_code=helped_province,
            since=since,
            until=until,
            areas=[PairingArea(area_kind=AreaKind.COUNTY, code=c) for c in counties]
            + [PairingArea(area_kind=AreaKind.PREFECTURE, code=p) for p in prefectures],
        )
        session.add(pairing)
        await session.flush()
        return pairing.id


async def reference_pairing_id(database: Database, reference_key: str) -> int:
    async with unit_of_work(database.reader) as session:
        found = await session.scalar(
            select(Pairing.id).where(Pairing.reference_key == reference_key)
        )
        assert found is not None, reference_key
        return found


@dataclass(frozen=True)
class Line:
    seller: Seller
    quantity: int
    unit_price_fen: int


@dataclass(frozen=True)
class PlacedOrder:
    id: int
    line_ids: list[int]


async def create_order(
    database: Database,
    *,
    buyer_user_id: int,
    lines: Sequence[Line],
    buyer_province_code: str,
    organization_id: int | None = None,
    buyer_kind: BuyerKind = BuyerKind.CONSUMER,
    paid_at: datetime | None = None,
    shipping_fen: int = 800,
) -> PlacedOrder:
    """An order as checkout leaves it (lines per supplier, shipping on top), paid at `paid_at`
    if given; the ledger is not written (see `record_payment`)."""
    goods = sum(line.quantity * line.unit_price_fen for line in lines)
    async with unit_of_work(database.writer) as session:
        order = Order(
            buyer_user_id=buyer_user_id,
            idempotency_key=uuid.uuid4().hex,
            request_fingerprint="0" * 64,
            buyer_kind=buyer_kind,
            organization_id=organization_id,
            buyer_province_code=buyer_province_code,
            status=OrderStatus.PAID if paid_at else OrderStatus.PENDING_PAYMENT,
            payment_method=PaymentMethod.BANK_TRANSFER,
            goods_fen=goods,
            shipping_fen=shipping_fen,
            total_fen=goods + shipping_fen,
            ship_to_name="张三",
            ship_to_phone="13812345678",
            ship_to_county_code="110105",
            ship_to_detail="朝阳路 1 号",
            paid_at=paid_at,
        )
        session.add(order)
        await session.flush()
        fulfillments: dict[int, Fulfillment] = {}
        for line in lines:
            cooperative_id = line.seller.cooperative_id
            if cooperative_id not in fulfillments:
                fulfillment = Fulfillment(
                    order_id=order.id, cooperative_id=cooperative_id, goods_fen=0, shipping_fen=0
                )
                session.add(fulfillment)
                await session.flush()
                fulfillments[cooperative_id] = fulfillment
            fulfillments[cooperative_id].goods_fen += line.quantity * line.unit_price_fen
        rows = [
            OrderLine(
                order_id=order.id,
                fulfillment_id=fulfillments[line.seller.cooperative_id].id,
                sku_id=line.seller.sku_id,
                product_id=line.seller.product_id,
                cooperative_id=line.seller.cooperative_id,
                origin_county_code=line.seller.county_code,
                title="测试特产",
                sku_name="标准装",
                sku_code="SKU",
                quantity=line.quantity,
                unit_price_fen=line.unit_price_fen,
                line_total_fen=line.quantity * line.unit_price_fen,
            )
            for line in lines
        ]
        session.add_all(rows)
        await session.flush()
        return PlacedOrder(order.id, [row.id for row in rows])


async def record_payment(database: Database, order_id: int) -> int:
    """What the payment hook does in the payment's transaction: the sale entries."""
    async with unit_of_work(database.writer) as session:
        return await ledger.record_sale(session, order_id=order_id)


async def paid_order(
    database: Database,
    *,
    buyer_user_id: int,
    lines: Sequence[Line],
    buyer_province_code: str,
    paid_at: datetime,
    organization_id: int | None = None,
    buyer_kind: BuyerKind = BuyerKind.CONSUMER,
) -> PlacedOrder:
    order = await create_order(
        database,
        buyer_user_id=buyer_user_id,
        lines=lines,
        buyer_province_code=buyer_province_code,
        organization_id=organization_id,
        buyer_kind=buyer_kind,
        paid_at=paid_at,
    )
    await record_payment(database, order.id)
    return order


async def refund(
    database: Database,
    order_id: int,
    lines: Sequence[tuple[int, int]],
    *,
    at: datetime,
    write_ledger: bool = True,
) -> int:
    """A succeeded refund of (order_line_id, quantity) pairs made at `at`, stored as the
    payment domain stores it, and its ledger entries (as its hook writes them)."""
    async with unit_of_work(database.writer) as session:
        order = await session.get(Order, order_id)
        assert order is not None
        payment = await session.scalar(select(Payment).where(Payment.order_id == order_id))
        if payment is None:
            payment = Payment(
                order_id=order_id,
                method=PaymentMethod.BANK_TRANSFER,
                status=PaymentStatus.SUCCEEDED,
                amount_fen=order.total_fen,
                received_fen=order.total_fen,
            )
            session.add(payment)
            await session.flush()
        result = await session.execute(
            select(OrderLine.id, OrderLine.unit_price_fen).where(OrderLine.order_id == order_id)
        )
        prices = {line_id: price for line_id, price in result}
        items: list[dict[str, Any]] = [
            {"order_line_id": line_id, "quantity": q, "amount_fen": q * prices[line_id]}
            for line_id, q in lines
        ]
        row = Refund(
            payment_id=payment.id,
            order_id=order_id,
            amount_fen=sum(item["amount_fen"] for item in items),
            reason="测试退款",
            status=RefundStatus.SUCCEEDED,
            lines=items,
            created_at=at,
            updated_at=at,
        )
        session.add(row)
        for line_id, q in lines:
            line = await session.get(OrderLine, line_id)
            assert line is not None
            line.refunded_quantity += q
        await session.flush()
        if write_ledger:
            await ledger.record_refund(
                session,
                refund_id=row.id,
                order_id=order_id,
                lines=row.lines,
                refunded_at=row.created_at,
            )
        return row.id


@dataclass(frozen=True)
class History:
    organization: int
    east_west: int  # 广东 → 贵州
    counterpart: int  # 广东 → 新疆 (疏附县 among its counties)


async def build_history(database: Database) -> History:
    """2026: a 广东 consumer buys from 三都 (3 000) and 疏附 (10 000) in March; a 上海 canteen
    buys 5 000 from 三都 in July and gets 2 000 back in August. 2027: a 北京 consumer pays
    2 000 at 2026-12-31 17:00 UTC."""
    sandu = await create_seller(database, county_code=SANDU, households_supported=12)
    shufu = await create_seller(database, county_code=SHUFU, households_supported=30)
    buyer = await create_user(database)
    organization = await create_organization(database, region_code="310104", name="徐汇区机关食堂")
    await set_target(database, organization, 2026, budget_fen=1_000_000, share_bp=1500)
    await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(sandu, 3, 1000), Line(shufu, 2, 5000)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
    )
    canteen = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(sandu, 5, 1000)],
        buyer_province_code=SHANGHAI,
        organization_id=organization,
        buyer_kind=BuyerKind.GOVERNMENT,
        paid_at=datetime(2026, 7, 1, 2, 0, tzinfo=UTC),
    )
    await refund(
        database, canteen.id, [(canteen.line_ids[0], 2)], at=datetime(2026, 8, 1, tzinfo=UTC)
    )
    await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(sandu, 1, 2000)],
        buyer_province_code=BEIJING,
        paid_at=datetime(2026, 12, 31, 17, 0, tzinfo=UTC),
    )
    return History(
        organization=organization,
        east_west=await reference_pairing_id(database, f"east_west:{GUANGDONG}:{GUIZHOU}"),
        counterpart=await reference_pairing_id(
            database, f"counterpart_support:{GUANGDONG}:{XINJIANG}"
        ),
    )


# ---------------------------------------------------------------------------------------------
# Reading the ledger back


async def entries(database: Database, order_id: int | None = None) -> list[LedgerEntry]:
    async with unit_of_work(database.reader) as session:
        query = select(LedgerEntry).order_by(LedgerEntry.id)
        if order_id is not None:
            query = query.where(LedgerEntry.order_id == order_id)
        return list(await session.scalars(query))


async def attributions(database: Database) -> dict[int, set[int]]:
    """entry id → pairing ids."""
    async with unit_of_work(database.reader) as session:
        found: dict[int, set[int]] = {}
        for entry_id, pairing_id in await session.execute(
            select(EntryPairing.entry_id, EntryPairing.pairing_id)
        ):
            found.setdefault(entry_id, set()).add(pairing_id)
        return found


async def table_counts(database: Database, tables: Iterable[str]) -> dict[str, int]:
    async with unit_of_work(database.reader) as session:
        return {
            name: int(await session.scalar(text(f"SELECT count(*) FROM {name}")) or 0)  # noqa: S608
            for name in tables
        }


async def rollup_snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup's rows, sorted: to show that something changed nothing."""
    from app.impact.models import ROLLUP_MODELS

    async with unit_of_work(database.reader) as session:
        snapshot = {}
        for model in ROLLUP_MODELS:
            rows = (await session.execute(select(model.__table__))).all()
            snapshot[str(model.__tablename__)] = sorted(tuple(r) for r in rows)
        return snapshot


async def count(database: Database, model: type[Any]) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)
