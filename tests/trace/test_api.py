"""Harvest batches: a supplier registers them, the public trace tells their origin, and a
fulfilment's lines name them when shipped (a batch of the supplier and the line's product)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.certification.models import CertificateStatus
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.order.models import FulfillmentStatus, OrderLine
from app.trace.models import Batch
from tests.certification.factories import create_certificate
from tests.http_assertions import assert_error
from tests.review.factories import Delivered, delivered_order, set_fulfillment_status

TODAY = china_date(utcnow())


def batch_body(product_id: int, /, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product_id": product_id,
        "harvested_on": (TODAY - timedelta(days=3)).isoformat(),
        "quantity": 1200,
        "unit": "kg",
        "certificate_ids": [],
        "note": "",
    }
    body.update(overrides)
    return body


async def register(client: httpx.AsyncClient, scene: Delivered, **overrides: Any) -> httpx.Response:
    return await client.post(
        f"/api/v1/cooperatives/{scene.seller.id}/batches",
        json=batch_body(scene.seller.product_id, **overrides),
        headers=scene.supplier.headers,
    )


async def batch_count(database: Database) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count(Batch.id))) or 0)


async def test_a_registered_batch_is_traced_publicly(
    client: httpx.AsyncClient, database: Database
) -> None:
    scene = await delivered_order(client, database, delivered=False)
    valid = await create_certificate(
        database, scene.seller.id, status=CertificateStatus.VERIFIED,
        valid_from=TODAY - timedelta(days=30), valid_until=TODAY + timedelta(days=300),
    )  # fmt: skip
    expired = await create_certificate(
        database, scene.seller.id, status=CertificateStatus.VERIFIED,
        valid_from=TODAY - timedelta(days=300), valid_until=TODAY - timedelta(days=1),
    )  # fmt: skip
    pending = await create_certificate(database, scene.seller.id)

    created = await register(client, scene, certificate_ids=[valid, expired, pending])

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["trace_url"] == f"/trace/{body['code']}"
    assert body["code"].startswith("FS") and len(body["code"]) == 10
    traced = await client.get(f"/api/v1/trace/{body['code']}")
    assert traced.status_code == 200, traced.text
    trace = traced.json()
    assert trace["code"] == body["code"]
    assert trace["product"]["id"] == scene.seller.product_id
    assert trace["cooperative"]["id"] == scene.seller.id
    assert trace["county"]["code"] == scene.seller.county_code
    assert trace["harvested_on"] == (TODAY - timedelta(days=3)).isoformat()
    assert trace["households_supported"] == 12
    assert len(trace["certificates"]) == 1  # only the verified one valid today
    # Lower case works too; the QR code is an SVG.
    assert (await client.get(f"/api/v1/trace/{body['code'].lower()}")).status_code == 200
    svg = await client.get(f"/trace/{body['code']}.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    listed = await client.get(
        f"/api/v1/cooperatives/{scene.seller.id}/batches", headers=scene.supplier.headers
    )
    assert [b["code"] for b in listed.json()["items"]] == [body["code"]]


@pytest.mark.parametrize(
    "code", ["NOPE1234", "x' OR '1'='1", "..%2F..%2Fetc%2Fpasswd", "FS%00", "a" * 300, "é"]
)
async def test_an_unknown_or_malformed_code_is_not_found(
    client: httpx.AsyncClient, code: str
) -> None:
    response = await client.get(f"/api/v1/trace/{code}")
    # An encoded slash makes another path, which no route serves: a 404 all the same.
    assert_error(response, 404, "not_found" if "%2F" in code else "batch_not_found")
    page = await client.get(f"/trace/{code}")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert (await client.get(f"/trace/{code}.svg")).status_code == 404


async def test_bad_batches_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient, database: Database
) -> None:
    scene = await delivered_order(client, database, delivered=False)
    other = await delivered_order(client, database, delivered=False)
    theirs = await create_certificate(database, other.seller.id)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()

    cases: list[tuple[dict[str, Any], str]] = [
        ({"product_id": other.seller.product_id}, "product_id"),
        ({"harvested_on": tomorrow}, "harvested_on"),
        ({"harvested_on": "1999-12-31"}, "harvested_on"),
        ({"certificate_ids": [theirs]}, "certificate_ids"),
    ]
    for overrides, field in cases:
        error = assert_error(await register(client, scene, **overrides), 422, "invalid_batch")
        assert field in error["fields"], error
    for overrides in ({"quantity": 0}, {"quantity": 1.5}, {"unit": ""}, {"harvested_on": "x"}):
        assert (await register(client, scene, **overrides)).status_code == 422
    # Another supplier's member, or anyone: as if the cooperative did not exist.
    response = await client.post(
        f"/api/v1/cooperatives/{scene.seller.id}/batches",
        json=batch_body(scene.seller.product_id),
        headers=other.supplier.headers,
    )
    assert_error(response, 404, "cooperative_not_found")
    assert await batch_count(database) == 0


async def _accepted(client: httpx.AsyncClient, database: Database) -> Delivered:
    scene = await delivered_order(client, database, delivered=False)
    accepted = await client.post(
        f"/api/v1/fulfillments/{scene.fulfillment_id}/accept", headers=scene.supplier.headers
    )
    assert accepted.status_code == 200, accepted.text
    return scene


def ship_body(batches: list[dict[str, int]]) -> dict[str, Any]:
    return {"carrier": "顺丰速运", "tracking_number": "SF1234567890", "batches": batches}


async def test_a_shipment_names_each_lines_batch_and_the_buyer_sees_it(
    client: httpx.AsyncClient, database: Database
) -> None:
    scene = await _accepted(client, database)
    code = (await register(client, scene)).json()
    line = scene.line_ids[0]

    shipped = await client.post(
        f"/api/v1/fulfillments/{scene.fulfillment_id}/ship",
        json=ship_body([{"order_line_id": line, "batch_id": code["id"]}]),
        headers=scene.supplier.headers,
    )

    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["lines"][0]["batch_code"] == code["code"]
    order = (
        await client.get(f"/api/v1/orders/{scene.order['id']}", headers=scene.buyer.headers)
    ).json()
    assert order["fulfillments"][0]["lines"][0]["batch_id"] == code["id"]
    assert order["fulfillments"][0]["lines"][0]["batch_code"] == code["code"]


async def test_a_batch_of_another_supplier_or_product_is_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    scene = await _accepted(client, database)
    other = await delivered_order(client, database, delivered=False)
    theirs = (await register(client, other)).json()["id"]
    line = scene.line_ids[0]
    url = f"/api/v1/fulfillments/{scene.fulfillment_id}/ship"

    for batches, field in (
        ([{"order_line_id": line, "batch_id": theirs}], "batches.0.batch_id"),
        ([{"order_line_id": line, "batch_id": 999_999}], "batches.0.batch_id"),
        ([{"order_line_id": other.line_ids[0], "batch_id": theirs}], "batches.0.order_line_id"),
    ):
        response = await client.post(url, json=ship_body(batches), headers=scene.supplier.headers)
        error = assert_error(response, 422, response.json()["error"]["code"])
        assert field in error["fields"], error
    # A batch of this supplier but another of its products.
    async with unit_of_work(database.writer) as session:
        wrong = Batch(
            code="FSWRONG001", cooperative_id=scene.seller.id, product_id=other.seller.product_id,
            harvested_on=date(2026, 1, 1), quantity=1, unit="kg",
        )  # fmt: skip
        session.add(wrong)
        await session.flush()
        wrong_id = wrong.id
    response = await client.post(
        url,
        json=ship_body([{"order_line_id": line, "batch_id": wrong_id}]),
        headers=scene.supplier.headers,
    )
    assert_error(response, 422, "invalid_batch")
    # Nothing shipped, no line names a batch.
    order = (
        await client.get(f"/api/v1/orders/{scene.order['id']}", headers=scene.buyer.headers)
    ).json()
    assert order["fulfillments"][0]["status"] == "accepted"
    async with unit_of_work(database.reader) as session:
        named = await session.scalar(
            select(func.count(OrderLine.id)).where(OrderLine.batch_id.is_not(None))
        )
    assert named == 0
    await set_fulfillment_status(database, scene.fulfillment_id, FulfillmentStatus.ACCEPTED)
