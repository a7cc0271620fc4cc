"""Fulfilment: each supplier sees and moves only its own part; the buyer confirms receipt;
shipped parcels complete by themselves after the configured days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.account.models import Role
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.jobs.models import JobStatus
from app.jobs.runner import JobRunner
from app.order import service
from app.order.models import FulfillmentStatus, OrderStatus
from tests.account.factories import ApiUser, create_api_user, grant
from tests.catalog.factories import Seller, create_seller
from tests.http_assertions import assert_error
from tests.order.factories import jobs_named, load_order, make_due, mark_paid, placed_order


@dataclass(frozen=True)
class Scene:
    a: Seller
    b: Seller
    buyer: ApiUser
    a_member: ApiUser
    b_member: ApiUser
    order: dict[str, Any]

    def fulfillment(self, supplier: Seller) -> dict[str, Any]:
        found: list[dict[str, Any]] = [
            f for f in self.order["fulfillments"] if f["cooperative_id"] == supplier.id
        ]
        assert len(found) == 1
        return found[0]


async def _member(app: FastAPI, database: Database, cooperative_id: int, role: Role) -> ApiUser:
    member = await create_api_user(database)
    await grant(database, member.id, role, cooperative_id)
    return member


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, database: Database) -> Scene:
    """An order from two suppliers, paid."""
    a = await create_seller(database, price_fen=1200)
    b = await create_seller(database, price_fen=3000)
    buyer = await create_api_user(database)
    order = await placed_order(client, buyer, [(a.sku_ids[0], 2), (b.sku_ids[0], 1)])
    await mark_paid(database, order["id"])
    return Scene(
        a=a,
        b=b,
        buyer=buyer,
        a_member=await _member(app, database, a.id, Role.SUPPLIER_MEMBER),
        b_member=await _member(app, database, b.id, Role.SUPPLIER_ADMIN),
        order=order,
    )


async def _status(client: httpx.AsyncClient, scene: Scene, supplier: Seller) -> str:
    response = await client.get(f"/api/v1/orders/{scene.order['id']}", headers=scene.buyer.headers)
    [found] = [f for f in response.json()["fulfillments"] if f["cooperative_id"] == supplier.id]
    status: str = found["status"]
    return status


async def test_each_supplier_lists_only_its_own_part(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await client.get(
        f"/api/v1/cooperatives/{scene.a.id}/fulfillments", headers=scene.a_member.headers
    )

    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 1
    [item] = page["items"]
    assert item["id"] == scene.fulfillment(scene.a)["id"]
    assert item["order_number"] == scene.order["number"]
    assert item["status"] == "pending"
    assert item["order_status"] == "paid"
    assert [line["sku_id"] for line in item["lines"]] == scene.a.sku_ids
    assert item["goods_fen"] == 2400
    assert item["shipping_fen"] == scene.fulfillment(scene.a)["shipping_fen"]
    assert item["ship_to"]["name"] == "张三"
    assert item["ship_to"]["county_name"] == "朝阳区"
    assert item["ship_to"]["province_name"] == "北京市"
    assert item["ship_to"]["prefecture_code"] == "110100"
    assert item["ship_to"]["place_name"] == "北京市朝阳区"  # no 市辖区 in an address

    theirs = await client.get(
        f"/api/v1/cooperatives/{scene.b.id}/fulfillments", headers=scene.b_member.headers
    )
    assert [i["id"] for i in theirs.json()["items"]] == [scene.fulfillment(scene.b)["id"]]


async def test_another_suppliers_queue_is_not_found(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    for headers in (scene.a_member.headers, scene.buyer.headers):
        response = await client.get(
            f"/api/v1/cooperatives/{scene.b.id}/fulfillments", headers=headers
        )
        assert_error(response, 404, "cooperative_not_found")
    assert_error(
        await client.get("/api/v1/cooperatives/0/fulfillments", headers=scene.a_member.headers),
        404,
        "cooperative_not_found",
    )


async def test_the_queue_filters_by_status(client: httpx.AsyncClient, scene: Scene) -> None:
    url = f"/api/v1/cooperatives/{scene.a.id}/fulfillments"
    headers = scene.a_member.headers
    assert (await client.get(f"{url}?status=pending", headers=headers)).json()["total"] == 1
    assert (await client.get(f"{url}?status=shipped", headers=headers)).json()["total"] == 0
    error = assert_error(
        await client.get(f"{url}?status=lost", headers=headers), 422, "invalid_status"
    )
    assert "status" in error["fields"]
    assert_error(await client.get(f"{url}?per_page=0", headers=headers), 422, "invalid_page")


async def test_unpaid_orders_are_not_in_the_queue(
    app: FastAPI, client: httpx.AsyncClient, database: Database, scene: Scene
) -> None:
    buyer = await create_api_user(database)
    await placed_order(client, buyer, [(scene.a.sku_ids[0], 1)])

    response = await client.get(
        f"/api/v1/cooperatives/{scene.a.id}/fulfillments", headers=scene.a_member.headers
    )
    assert response.json()["total"] == 1  # only the paid order's part


async def test_accept_then_ship_then_the_buyer_confirms(
    client: httpx.AsyncClient, database: Database, scene: Scene
) -> None:
    fa, fb = scene.fulfillment(scene.a)["id"], scene.fulfillment(scene.b)["id"]

    accepted = await client.post(
        f"/api/v1/fulfillments/{fa}/accept", headers=scene.a_member.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["accepted_at"]

    shipped = await client.post(
        f"/api/v1/fulfillments/{fa}/ship",
        json={"carrier": "顺丰速运", "tracking_number": "SF-1234567890"},
        headers=scene.a_member.headers,
    )
    assert shipped.status_code == 200, shipped.text
    body = shipped.json()
    assert (body["status"], body["carrier"], body["tracking_number"]) == (
        "shipped",
        "顺丰速运",
        "SF-1234567890",
    )
    # The auto-complete job waits the configured 14 days.
    [job] = await jobs_named(database, service.COMPLETE_FULFILLMENT_JOB)
    assert job.payload == {"fulfillment_id": fa}
    assert abs(job.run_after - (utcnow() + timedelta(days=14))) < timedelta(minutes=1)

    # The buyer sees the tracking number.
    shown = await client.get(f"/api/v1/orders/{scene.order['id']}", headers=scene.buyer.headers)
    [mine] = [f for f in shown.json()["fulfillments"] if f["id"] == fa]
    assert mine["tracking_number"] == "SF-1234567890"

    received = await client.post(
        f"/api/v1/fulfillments/{fa}/confirm-receipt", headers=scene.buyer.headers
    )
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "paid"  # B's part is still on its way
    assert await _status(client, scene, scene.a) == "delivered"

    for path in ("accept", "ship"):
        await client.post(
            f"/api/v1/fulfillments/{fb}/{path}",
            json={"carrier": "中国邮政", "tracking_number": "EMS0001"},
            headers=scene.b_member.headers,
        )
    done = await client.post(
        f"/api/v1/fulfillments/{fb}/confirm-receipt", headers=scene.buyer.headers
    )
    assert done.json()["status"] == "completed"
    stored = await load_order(database, scene.order["id"])
    assert stored.status == OrderStatus.COMPLETED
    assert stored.completed_at is not None


async def test_illegal_transitions_are_conflicts(client: httpx.AsyncClient, scene: Scene) -> None:
    fa = scene.fulfillment(scene.a)["id"]
    headers = scene.a_member.headers
    ship = {"carrier": "顺丰速运", "tracking_number": "SF123456"}

    assert_error(
        await client.post(f"/api/v1/fulfillments/{fa}/ship", json=ship, headers=headers),
        409,
        "invalid_status_transition",
    )
    assert_error(
        await client.post(
            f"/api/v1/fulfillments/{fa}/confirm-receipt", headers=scene.buyer.headers
        ),
        409,
        "invalid_status_transition",
    )
    assert await _status(client, scene, scene.a) == "pending"
    await client.post(f"/api/v1/fulfillments/{fa}/accept", headers=headers)
    assert_error(
        await client.post(f"/api/v1/fulfillments/{fa}/accept", headers=headers),
        409,
        "invalid_status_transition",
    )
    assert await _status(client, scene, scene.a) == "accepted"


async def test_an_unpaid_order_cannot_be_accepted(
    app: FastAPI, client: httpx.AsyncClient, database: Database, scene: Scene
) -> None:
    buyer = await create_api_user(database)
    unpaid = await placed_order(client, buyer, [(scene.a.sku_ids[0], 1)])
    fid = unpaid["fulfillments"][0]["id"]

    assert_error(
        await client.post(f"/api/v1/fulfillments/{fid}/accept", headers=scene.a_member.headers),
        409,
        "invalid_status_transition",
    )
    shown = await client.get(f"/api/v1/orders/{unpaid['id']}", headers=buyer.headers)
    assert shown.json()["fulfillments"][0]["status"] == "pending"


async def test_another_suppliers_fulfilment_is_not_found(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    fb = scene.fulfillment(scene.b)["id"]
    for path, body in (
        ("accept", None),
        ("ship", {"carrier": "顺丰速运", "tracking_number": "SF123456"}),
    ):
        for headers in (scene.a_member.headers, scene.buyer.headers):
            response = await client.post(
                f"/api/v1/fulfillments/{fb}/{path}", json=body, headers=headers
            )
            assert_error(response, 404, "fulfillment_not_found")
    for missing in ("987654321", "0", str(2**70)):
        assert_error(
            await client.post(
                f"/api/v1/fulfillments/{missing}/accept", headers=scene.a_member.headers
            ),
            404,
            "fulfillment_not_found",
        )
    assert await _status(client, scene, scene.b) == "pending"


async def test_only_the_buyer_confirms_receipt(
    app: FastAPI, client: httpx.AsyncClient, database: Database, scene: Scene
) -> None:
    fa = scene.fulfillment(scene.a)["id"]
    headers = scene.a_member.headers
    await client.post(f"/api/v1/fulfillments/{fa}/accept", headers=headers)
    await client.post(
        f"/api/v1/fulfillments/{fa}/ship",
        json={"carrier": "顺丰速运", "tracking_number": "SF123456"},
        headers=headers,
    )
    stranger = await create_api_user(database)

    for who in (stranger.headers, scene.a_member.headers):
        assert_error(
            await client.post(f"/api/v1/fulfillments/{fa}/confirm-receipt", headers=who),
            404,
            "fulfillment_not_found",
        )
    assert await _status(client, scene, scene.a) == "shipped"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"carrier": "", "tracking_number": "SF123456"}, {"carrier"}),
        ({"carrier": "快" * 51, "tracking_number": "SF123456"}, {"carrier"}),
        ({"carrier": "顺丰速运", "tracking_number": "SF1"}, {"tracking_number"}),
        ({"carrier": "顺丰速运", "tracking_number": "SF 123456"}, {"tracking_number"}),
        ({"carrier": "顺丰速运", "tracking_number": "顺丰123456"}, {"tracking_number"}),
        ({"carrier": "顺丰速运", "tracking_number": "S" * 61}, {"tracking_number"}),
        ({"carrier": "", "tracking_number": ""}, {"carrier", "tracking_number"}),
    ],
)
async def test_bad_shipments_change_nothing(
    client: httpx.AsyncClient,
    database: Database,
    scene: Scene,
    body: dict[str, str],
    fields: set[str],
) -> None:
    fa = scene.fulfillment(scene.a)["id"]
    await client.post(f"/api/v1/fulfillments/{fa}/accept", headers=scene.a_member.headers)

    response = await client.post(
        f"/api/v1/fulfillments/{fa}/ship", json=body, headers=scene.a_member.headers
    )

    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == fields
    assert await _status(client, scene, scene.a) == "accepted"
    assert await jobs_named(database, service.COMPLETE_FULFILLMENT_JOB) == []


async def test_shipped_parcels_complete_by_themselves(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, scene: Scene
) -> None:
    fa, fb = scene.fulfillment(scene.a)["id"], scene.fulfillment(scene.b)["id"]
    ship = {"carrier": "顺丰速运", "tracking_number": "SF123456"}
    for fid, headers in ((fa, scene.a_member.headers), (fb, scene.b_member.headers)):
        await client.post(f"/api/v1/fulfillments/{fid}/accept", headers=headers)
        await client.post(f"/api/v1/fulfillments/{fid}/ship", json=ship, headers=headers)
    await runner.run_until_idle()  # the supplier notices; the completions are not due yet
    assert await _status(client, scene, scene.a) == "shipped"

    # B's buyer confirms first; the clock then reaches both jobs.
    await client.post(f"/api/v1/fulfillments/{fb}/confirm-receipt", headers=scene.buyer.headers)
    await make_due(database, service.COMPLETE_FULFILLMENT_JOB)
    assert await runner.run_until_idle() == 2

    assert await _status(client, scene, scene.a) == "delivered"
    assert await _status(client, scene, scene.b) == "delivered"
    stored = await load_order(database, scene.order["id"])
    assert stored.status == OrderStatus.COMPLETED
    jobs = await jobs_named(database, service.COMPLETE_FULFILLMENT_JOB)
    assert {job.status for job in jobs} == {JobStatus.DONE}

    # Run again (a retried job): nothing changes.
    async with unit_of_work(database.writer) as session:
        changed = await service.complete_shipped_fulfillment(session, fa)
    assert changed is False
    assert (await load_order(database, scene.order["id"])).completed_at == stored.completed_at


async def test_a_cancelled_fulfilment_is_not_auto_completed(
    database: Database, scene: Scene
) -> None:
    fa = scene.fulfillment(scene.a)["id"]
    async with unit_of_work(database.writer) as session:
        order = await service.get_order(session, scene.order["id"])
        await service.cancel_order(session, order, reason="test")
    async with unit_of_work(database.writer) as session:
        assert await service.complete_shipped_fulfillment(session, fa) is False
        fulfillment = await service.get_order(session, scene.order["id"])
        assert {f.status for f in fulfillment.fulfillments} == {FulfillmentStatus.CANCELLED}
