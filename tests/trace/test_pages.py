"""Pages of traceability: the supplier's batches (form, codes, QR codes), the ship form naming
a line's batch, the buyer's link to /trace/{code}, and the public trace page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.order.models import Fulfillment, FulfillmentStatus
from app.trace.models import Batch
from tests.account.factories import sign_in_page
from tests.review.factories import PageScene, form_csrf, page_scene

Browser = Callable[[str], Awaitable[httpx.AsyncClient]]
TODAY = china_date(utcnow())
_CODE = re.compile(r'href="/trace/(FS[0-9A-Z]{8})"')


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    clients: list[httpx.AsyncClient] = []

    async def open_as(email: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        assert (await sign_in_page(client, email)).status_code == 303
        return client

    yield open_as
    for client in clients:
        await client.aclose()


async def _register(
    supplier: httpx.AsyncClient, scene: PageScene, **changes: str
) -> httpx.Response:
    path = f"/coop/{scene.seller.id}/batches"
    form = {
        "csrf_token": await form_csrf(supplier, path),
        "product_id": str(scene.seller.product_id),
        "harvested_on": (TODAY - timedelta(days=2)).isoformat(),
        "quantity": "800",
        "unit": "kg",
        "note": "",
        **changes,
    }
    return await supplier.post(path, data=form)


async def _batches(database: Database) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count(Batch.id))) or 0)


async def test_a_supplier_registers_ships_with_and_the_buyer_traces_a_batch(
    client: httpx.AsyncClient, database: Database, browser: Browser
) -> None:
    scene = await page_scene(client, database, status=FulfillmentStatus.ACCEPTED)
    supplier = await browser(scene.supplier_email)
    page = await supplier.get(f"/coop/{scene.seller.id}/batches")
    assert page.status_code == 200
    assert f'href="/coop/{scene.seller.id}/batches"' in page.text  # in the side menu

    registered = await _register(supplier, scene, note="<b>头茬</b>")

    assert registered.status_code == 303, registered.text
    listed = await supplier.get(registered.headers["location"])
    match = _CODE.search(listed.text)
    assert match is not None, listed.text
    code = match.group(1)
    assert f'src="/trace/{code}.svg"' in listed.text
    assert "&lt;b&gt;头茬&lt;/b&gt;" in listed.text
    async with unit_of_work(database.reader) as session:
        batch_id = await session.scalar(select(Batch.id).where(Batch.code == code))
    queue = f"/coop/{scene.seller.id}/fulfillments"
    queue_page = await supplier.get(queue)
    assert f'name="batch-{scene.line_id}"' in queue_page.text
    assert code in queue_page.text
    shipped = await supplier.post(
        f"{queue}/{scene.fulfillment_id}/ship",
        data={
            "csrf_token": await form_csrf(supplier, queue),
            "carrier": "顺丰速运",
            "tracking_number": "SF1234567890",
            f"batch-{scene.line_id}": str(batch_id),
        },
    )
    assert shipped.status_code == 303, shipped.text
    buyer = await browser(scene.buyer_email)
    order_page = await buyer.get(f"/orders/{scene.order['id']}")
    assert f'href="/trace/{code}"' in order_page.text
    trace = await buyer.get(f"/trace/{code}")
    assert trace.status_code == 200
    assert scene.seller.county_code in trace.text  # the county's link
    assert (TODAY - timedelta(days=2)).isoformat() in trace.text
    assert "12 户" in trace.text  # households supported


async def test_a_bad_batch_form_changes_nothing(
    client: httpx.AsyncClient, database: Database, browser: Browser
) -> None:
    scene = await page_scene(client, database, status=FulfillmentStatus.ACCEPTED)
    other = await page_scene(client, database, status=FulfillmentStatus.ACCEPTED, n=2)
    supplier = await browser(scene.supplier_email)

    for changes, message in (
        ({"harvested_on": (TODAY + timedelta(days=1)).isoformat()}, "请填写采收日期"),
        ({"harvested_on": "昨天"}, "请填写采收日期"),
        ({"quantity": "0"}, "数量应为"),
        ({"quantity": "1.5"}, "数量应为"),
        ({"product_id": str(other.seller.product_id)}, "请选择本社的商品"),
        ({"unit": ""}, "请填写单位"),
    ):
        response = await _register(supplier, scene, **changes)
        assert response.status_code == 422, changes
        assert message in response.text, changes
    assert await _batches(database) == 0
    outsider = await browser(other.supplier_email)
    assert (await outsider.get(f"/coop/{scene.seller.id}/batches")).status_code == 404


async def test_shipping_with_another_suppliers_batch_is_refused(
    client: httpx.AsyncClient, database: Database, browser: Browser
) -> None:
    scene = await page_scene(client, database, status=FulfillmentStatus.ACCEPTED)
    other = await page_scene(client, database, status=FulfillmentStatus.ACCEPTED, n=2)
    theirs = await browser(other.supplier_email)
    assert (await _register(theirs, other)).status_code == 303
    async with unit_of_work(database.reader) as session:
        their_batch = await session.scalar(select(Batch.id))
    supplier = await browser(scene.supplier_email)
    queue = f"/coop/{scene.seller.id}/fulfillments"

    response = await supplier.post(
        f"{queue}/{scene.fulfillment_id}/ship",
        data={
            "csrf_token": await form_csrf(supplier, queue),
            "carrier": "顺丰速运",
            "tracking_number": "SF1234567890",
            f"batch-{scene.line_id}": str(their_batch),
        },
    )

    assert response.status_code == 422
    assert "请选择本社该商品的批次" in response.text
    async with unit_of_work(database.reader) as session:
        status = await session.scalar(
            select(Fulfillment.status).where(Fulfillment.id == scene.fulfillment_id)
        )
    assert status == FulfillmentStatus.ACCEPTED  # nothing shipped


async def test_an_unknown_trace_code_is_a_404_page(client: httpx.AsyncClient) -> None:
    for code in ("FS00000000", "<script>", "'; DROP TABLE trace_batches; --"):
        page = await client.get(f"/trace/{code}")
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "<script>" not in page.text  # nothing of the code is echoed unescaped
