"""The back-office side menus: every page of a supplier's portal and of the operator's back
office carries a menu reaching all the others, the page's own entry marked, with counts of the
work waiting (parcels to ship; suppliers, organisations and certificates to review, transfers
to confirm, products priced far above their reference)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from app.catalog.models import Product
from app.certification.models import Certificate, CertificateKind, CertificateStatus
from app.cooperative.models import SupplierStatus
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.organization.models import OrganizationStatus
from tests.account.factories import create_api_user, create_operator, sign_in_page
from tests.catalog.factories import create_seller
from tests.cooperative.factories import add_member, create_cooperative
from tests.order.factories import mark_paid, placed_order
from tests.organization.factories import create_organization

_MENU = re.compile(r'<nav class="org-menu side-menu"[^>]*>.*?<ul>(.*?)</ul>', re.S)
_ENTRY = re.compile(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)(?:<span[^>]*>(\d+)</span>)?')
PASSWORD = "correct horse battery"


def menu_of(html: str) -> list[tuple[str, bool, str, int]]:
    """(href, current, label, count) of each entry of the page's side menu."""
    found = _MENU.search(html)
    assert found is not None, "the page has no side menu"
    return [
        (href, bool(current), label.strip(), int(count or 0))
        for href, current, label, count in _ENTRY.findall(found.group(1))
    ]


@asynccontextmanager
async def _browser(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in as `email` (its own cookies)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await sign_in_page(client, email, PASSWORD)).status_code == 303
        yield client


async def test_every_supplier_portal_page_carries_the_menu_with_parcels_to_ship(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, stock=20)
    other = await create_seller(database, stock=20)
    await add_member(database, seller.id, email="coop@example.com", password=PASSWORD)
    buyer = await create_api_user(database)
    for _ in range(2):
        order = await placed_order(client, buyer, [(seller.sku_ids[0], 1)])
        await mark_paid(database, order["id"])
    await placed_order(client, buyer, [(seller.sku_ids[0], 1)])  # unpaid: not waiting yet
    base = f"/coop/{seller.id}"
    pages = {
        base: "概览",
        f"{base}/fulfillments": "订单履约",
        f"{base}/after-sales": "售后处理",
        f"{base}/products": "商品管理",
        f"{base}/products/new": "商品管理",
        f"{base}/certificates": "资质证书",
        f"{base}/batches": "溯源批次",
        f"{base}/reviews": "买家评价",
        f"{base}/shipping": "运费规则",
        f"{base}/impact": "帮扶成效",
        f"{base}/webhook": "新订单通知",
    }
    async with _browser(app, "coop@example.com") as member:
        for page, label in pages.items():
            response = await member.get(page)
            assert response.status_code == 200, (page, response.text[:300])
            entries = menu_of(response.text)
            assert [href for href, *_ in entries] == [
                base,
                f"{base}/fulfillments",
                f"{base}/after-sales",
                f"{base}/products",
                f"{base}/certificates",
                f"{base}/batches",
                f"{base}/reviews",
                f"{base}/shipping",
                f"{base}/impact",
                f"{base}#members",
                f"{base}/webhook",
            ]
            assert [entry[2] for entry in entries if entry[1]] == [label], page
            assert {entry[2]: entry[3] for entry in entries}["订单履约"] == 2
        # Another supplier's portal: 404, and no menu of it.
        outside = await member.get(f"/coop/{other.id}/fulfillments")
        assert outside.status_code == 404
        assert "side-menu" not in outside.text


async def test_every_back_office_page_carries_the_menu_with_the_queues_counts(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    await create_operator(database, email="ops@example.com", password=PASSWORD)
    for n in range(3):
        await create_cooperative(database, n=900 + n, status=SupplierStatus.PENDING)
    await create_organization(database, status=OrganizationStatus.PENDING)
    seller = await create_seller(database, stock=20)
    async with unit_of_work(database.writer) as session:
        session.add(
            Certificate(
                cooperative_id=seller.id,
                kind=CertificateKind.GREEN_FOOD,
                number="LB-12-23010112345678",
                issuer="中国绿色食品发展中心",
                valid_from=china_date(utcnow()),
                valid_until=china_date(utcnow()).replace(year=china_date(utcnow()).year + 2),
                status=CertificateStatus.PENDING,
            )
        )
        product = await session.get(Product, seller.product_id)
        assert product is not None
        product.price_flagged = True
    buyer = await create_api_user(database)
    await placed_order(client, buyer, [(seller.sku_ids[0], 1)])  # a transfer awaited
    pages = {
        "/admin/cooperatives": "供应商审核",
        "/admin/organizations": "机构审核",
        "/admin/certificates": "资质审核",
        "/admin/transfers": "对公转账确认",
        "/admin/payments": "支付与退款",
        "/admin/after-sales": "售后仲裁",
        "/admin/reference-prices": "价格监测",
        "/admin/brands": "区域品牌",
        "/admin/reviews": "评价管理",
        "/admin/audit": "审计日志",
    }
    async with _browser(app, "ops@example.com") as operator:
        for page, label in pages.items():
            response = await operator.get(page)
            assert response.status_code == 200, (page, response.text[:300])
            entries = menu_of(response.text)
            assert [href for href, *_ in entries] == list(pages)
            assert [entry[2] for entry in entries if entry[1]] == [label], page
            counts = {entry[2]: entry[3] for entry in entries}
            assert counts == {
                "供应商审核": 3,
                "机构审核": 1,
                "资质审核": 1,
                "对公转账确认": 1,
                "支付与退款": 0,
                "售后仲裁": 0,
                "价格监测": 1,
                "区域品牌": 0,
                "评价管理": 0,
                "审计日志": 0,
            }
    # A supplier member is no operator: no back office, no menu.
    await add_member(database, seller.id, email="coop@example.com", password=PASSWORD)
    async with _browser(app, "coop@example.com") as member:
        refused = await member.get("/admin/cooperatives")
        assert refused.status_code == 403
        assert "side-menu" not in refused.text
