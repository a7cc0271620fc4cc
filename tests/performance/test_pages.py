"""The supplier pages show the performance figures: the public one its rating and shipping
speed, the operator's one everything, with each flagged price's listing, reference and ratio."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from app.account.models import Role
from app.core.db import Database
from tests.account.factories import create_user, sign_in_page
from tests.performance.conftest import Scene


@contextlib.asynccontextmanager
async def _operator_browser(app: FastAPI, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(database, email=email, roles=(Role.CONSUMER, Role.OPERATOR))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as browser:
        assert (await sign_in_page(browser, email)).status_code == 303
        yield browser


async def test_the_public_supplier_page_shows_rating_and_shipping(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    page = await client.get(f"/suppliers/{scene.seller.id}")

    assert page.status_code == 200
    assert "3.5 分 · 2 条评价" in page.text
    assert "60.0%" in page.text  # 3 of 5 parcels shipped within 48 h
    assert "近 90 天 5 个包裹" in page.text
    assert "32.1 小时" in page.text
    assert "售后率" not in page.text and "价格预警" not in page.text


async def test_the_operators_supplier_page(
    app: FastAPI, client: httpx.AsyncClient, database: Database, scene: Scene
) -> None:
    async with _operator_browser(app, database) as browser:
        page = await browser.get(f"/admin/cooperatives/{scene.seller.id}")
        queue = await browser.get("/admin/cooperatives?status=verified")
        prices = await browser.get("/admin/reference-prices")
        missing = await browser.get("/admin/cooperatives/99999999")

    assert page.status_code == 200
    text = page.text
    assert "60.0%" in text and "按时 3 / 应发 5" in text
    assert "28.5%" in text  # 2 of 7 parcels drew a request (2857 bp, rounded down)
    assert "3 件，其中 1 件升级至平台仲裁" in text
    assert "3.5 分 · 2 条评价" in text
    # The flagged listing, its price, the reference and the ratio.
    product = (await client.get(f"/api/v1/products/{scene.seller.product_id}")).json()
    assert f'href="/products/{product["slug"]}"' in text
    assert "¥10.00" in text and "¥5.00" in text and "2.00×" in text and "1.50×" in text
    assert 'aria-current="page"' in text  # the back office's menu, 供应商审核 current
    # The queue and the price monitoring page lead to it.
    assert f'href="/admin/cooperatives/{scene.seller.id}"' in queue.text
    assert f'href="/admin/cooperatives/{scene.seller.id}"' in prices.text
    assert "2.00×" in prices.text
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


async def test_the_operators_page_is_for_operators(
    app: FastAPI, client: httpx.AsyncClient, database: Database, scene: Scene
) -> None:
    email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(database, email=email)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as browser:
        await sign_in_page(browser, email)
        refused = await browser.get(f"/admin/cooperatives/{scene.seller.id}")

    assert refused.status_code == 403
    assert "60.0%" not in refused.text
