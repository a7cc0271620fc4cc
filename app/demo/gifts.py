"""Seeding the demo trade union's gift order: two suppliers' SKUs for three members, drawn up
by its buyer, approved by its approver and paid by bank transfer through the real use cases,
so that its portal shows a gift with a parcel per recipient and supplier."""

from __future__ import annotations

from sqlalchemy import select

from app.account.models import User
from app.catalog.models import Product, ProductStatus, Sku
from app.cooperative.models import Cooperative, SupplierStatus
from app.core.db import Database, unit_of_work
from app.core.errors import DomainError
from app.core.sheets import write_csv
from app.order.schemas import ShippingAddressIn
from app.order.service import PaymentTimeouts
from app.payment import service as payments
from app.procurement.schemas import SubmitRequest
from app.procurement.service import gifts

RECIPIENTS = (
    ("陈老师", "13900000101", "330106", "文三路 300 号 区实验小学"),
    ("林老师", "13900000102", "330105", "莫干山路 88 号 区第二中学"),
    ("黄老师", "0571-88800103", "330108", "江南大道 66 号 滨江幼儿园"),
)
RECIPIENTS_HEADER = ("姓名", "手机号", "区县代码", "详细地址")


async def _two_suppliers_skus(database: Database) -> list[Sku]:
    """A SKU of each of two verified suppliers, with stock to spare (the newest products: the
    demo's bulk orders bought from the oldest)."""
    async with unit_of_work(database.reader) as session:
        skus = await session.scalars(
            select(Sku)
            .join(Product, Product.id == Sku.product_id)
            .join(Cooperative, Cooperative.id == Product.cooperative_id)
            .where(
                Product.status == ProductStatus.ACTIVE,
                Cooperative.status == SupplierStatus.VERIFIED,
                Sku.is_active.is_(True),
                Sku.stock >= 50,
                Sku.min_qty <= len(RECIPIENTS),
            )
            .order_by(Sku.id.desc())
            .limit(200)
        )
        chosen: dict[int, Sku] = {}
        for sku in skus:
            product = await session.get(Product, sku.product_id)
            if product is not None and product.cooperative_id not in chosen:
                chosen[product.cooperative_id] = sku
            if len(chosen) == 2:
                break
    return list(chosen.values())


async def seed_gift_order(
    database: Database,
    *,
    organization_id: int,
    contact_detail: str,
    contact_county: str,
    buyer_id: int,
    approver_id: int,
    operator_id: int,
) -> bool:
    """One paid gift order for the union, unless it has one already; False when the catalog
    cannot make one (the demo goes on without it)."""
    skus = await _two_suppliers_skus(database)
    if len(skus) < 2:
        return False
    try:
        async with unit_of_work(database.writer) as session:
            buyer = await session.get(User, buyer_id)
            approver = await session.get(User, approver_id)
            operator = await session.get(User, operator_id)
            if buyer is None or approver is None or operator is None:
                return False
            existing = await gifts.list_gift_orders(
                session, user=buyer, organization_id=organization_id, per_page=1
            )
            if existing.total:
                return True
            created = await gifts.upload(
                session,
                user=buyer,
                organization_id=organization_id,
                sku_ids=[str(sku.id) for sku in skus],
                quantities=["1"],
                data=write_csv(RECIPIENTS_HEADER, RECIPIENTS),
                filename="中秋慰问名单.csv",
            )
            await gifts.submit(
                session,
                user=buyer,
                organization_id=organization_id,
                gift_order_id=created.id,
                request=SubmitRequest(
                    payment_method="bank_transfer",
                    shipping_address=ShippingAddressIn(
                        name="工会办公室",
                        phone="0571-88800100",
                        county_code=contact_county,
                        detail=contact_detail,
                    ),
                    po_number="DEMO-ZJ-GIFT-001",
                ),
            )
            order = await gifts.approve(
                session,
                user=approver,
                organization_id=organization_id,
                gift_order_id=created.id,
                timeouts=PaymentTimeouts(),
            )
            if order.payment is not None:
                await payments.confirm_bank_transfer(
                    session,
                    order_id=order.id,
                    bank_reference=order.payment.bank_reference or "",
                    amount_fen=order.total_fen,
                    actor=operator,
                )
    except DomainError:
        return False
    return True
