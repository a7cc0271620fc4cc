"""Reviews through the API: once per delivered line by its buyer, the supplier's one reply,
an operator's hiding (audit-logged), and the product's average and count kept with them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.audit import service as audit
from app.core.db import Database, unit_of_work
from app.jobs.runner import JobRunner
from app.order.models import FulfillmentStatus
from app.review import service as review_service
from tests.account.factories import create_api_user, create_operator, token_headers
from tests.catalog.factories import sync_search_index
from tests.http_assertions import assert_error
from tests.review.factories import (
    Delivered,
    delivered_order,
    product_rating,
    review_count,
    set_fulfillment_status,
)
from tests.search.analysis import CountingAnalyzer


def _items(*pairs: tuple[int, Any], text: str = "") -> dict[str, Any]:
    return {"items": [{"order_line_id": line, "rating": r, "text": text} for line, r in pairs]}


async def _post(client: httpx.AsyncClient, scene: Delivered, body: Any) -> httpx.Response:
    return await client.post(
        f"/api/v1/fulfillments/{scene.fulfillment_id}/reviews",
        json=body,
        headers=scene.buyer.headers,
    )


async def test_the_buyer_reviews_a_delivered_line_and_the_product_shows_it(
    client: httpx.AsyncClient, database: Database
) -> None:
    scene = await delivered_order(client, database)
    [line] = scene.line_ids

    response = await _post(client, scene, _items((line, 4), text="很甜，<script>alert(1)</script>"))

    assert response.status_code == 201, response.text
    [item] = response.json()["items"]
    assert (item["order_line_id"], item["rating"], item["reply"]) == (line, 4, None)
    assert await product_rating(database, scene.seller.product_id) == (4, 1)
    listed = (await client.get(f"/api/v1/products/{scene.seller.product_id}/reviews")).json()
    assert (listed["count"], listed["average"]) == (1, 4.0)
    assert listed["items"][0]["text"] == "很甜，<script>alert(1)</script>"  # JSON as written
    detail = (await client.get(f"/api/v1/products/{scene.seller.product_id}")).json()
    assert detail["rating"] == {"average": 4.0, "count": 1}
    await sync_search_index(database)
    summary = (await client.get("/api/v1/products", params={"sort": "rating"})).json()["items"]
    assert summary[0]["rating"] == {"average": 4.0, "count": 1}


async def test_a_review_reaches_the_index_without_analysing_the_products_texts_again(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    runner: JobRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scene = await delivered_order(client, database)
    await sync_search_index(database)
    counting = CountingAnalyzer(app.state.search.analyzer)
    monkeypatch.setattr(app.state.search, "analyzer", counting)

    response = await _post(client, scene, _items((scene.line_ids[0], 3)))
    assert response.status_code == 201, response.text
    await runner.run_until_idle()

    summary = (await client.get("/api/v1/products", params={"sort": "rating"})).json()["items"]
    assert (summary[0]["id"], summary[0]["rating"]) == (
        scene.seller.product_id,
        {"average": 3.0, "count": 1},
    )
    # An operator hiding it: the rating leaves the index the same way.
    review_id = response.json()["items"][0]["id"]
    hidden = await client.post(
        f"/api/v1/admin/reviews/{review_id}/hide",
        json={"reason": "含广告"},
        headers=token_headers(await create_operator(database)),
    )
    assert hidden.status_code == 200, hidden.text
    await runner.run_until_idle()
    summary = (await client.get("/api/v1/products", params={"sort": "rating"})).json()["items"]
    assert (summary[0]["id"], summary[0]["rating"]) == (
        scene.seller.product_id,
        {"average": None, "count": 0},
    )
    assert counting.analysed == []


async def test_a_line_is_reviewed_once(client: httpx.AsyncClient, database: Database) -> None:
    scene = await delivered_order(client, database)
    [line] = scene.line_ids
    assert (await _post(client, scene, _items((line, 5)))).status_code == 201

    assert_error(await _post(client, scene, _items((line, 1))), 409, "review_exists")
    assert await product_rating(database, scene.seller.product_id) == (5, 1)
    assert await review_count(database) == 1


@pytest.mark.parametrize("rating", [0, 6, 4.5, "4", True, None])
async def test_a_rating_is_a_whole_number_from_1_to_5(
    client: httpx.AsyncClient, database: Database, rating: Any
) -> None:
    scene = await delivered_order(client, database)

    response = await _post(client, scene, _items((scene.line_ids[0], rating)))

    assert response.status_code == 422, response.text
    assert "error" in response.json()
    assert await review_count(database) == 0
    assert await product_rating(database, scene.seller.product_id) == (0, 0)


async def test_bad_items_change_nothing(client: httpx.AsyncClient, database: Database) -> None:
    scene = await delivered_order(client, database, skus=2)
    first, second = scene.line_ids
    other = await delivered_order(client, database)

    cases = [
        (_items((first, 5), (first, 4)), "items.1.order_line_id"),  # twice
        (_items((first, 5), (other.line_ids[0], 4)), "items.1.order_line_id"),  # another parcel
        (_items((first, 5), text="x" * 1001), "items.0.text"),
        (_items((first, 5), text="bad\x00text"), "items.0.text"),
    ]
    for body, field in cases:
        error = assert_error(await _post(client, scene, body), 422, "invalid_review")
        assert field in error["fields"], error
    assert (await _post(client, scene, {"items": []})).status_code == 422
    assert await review_count(database) == 0
    # Both lines at once: all or nothing, and each counted.
    assert (await _post(client, scene, _items((first, 5), (second, 2)))).status_code == 201
    assert await product_rating(database, scene.seller.product_id) == (7, 2)


async def test_only_the_buyer_of_a_delivered_parcel_reviews(
    client: httpx.AsyncClient, database: Database
) -> None:
    scene = await delivered_order(client, database, delivered=False)
    body = _items((scene.line_ids[0], 5))

    assert_error(await _post(client, scene, body), 409, "fulfillment_not_delivered")
    await set_fulfillment_status(database, scene.fulfillment_id, FulfillmentStatus.SHIPPED)
    assert_error(await _post(client, scene, body), 409, "fulfillment_not_delivered")
    await set_fulfillment_status(database, scene.fulfillment_id, FulfillmentStatus.DELIVERED)
    stranger = await create_api_user(database)
    for headers in (stranger.headers, scene.supplier.headers):
        response = await client.post(
            f"/api/v1/fulfillments/{scene.fulfillment_id}/reviews", json=body, headers=headers
        )
        assert_error(response, 404, "fulfillment_not_found")
    assert_error(
        await client.post("/api/v1/fulfillments/0/reviews", json=body, headers=scene.buyer.headers),
        404,
        "fulfillment_not_found",
    )
    assert await review_count(database) == 0


async def _reviewed(
    client: httpx.AsyncClient, database: Database, rating: int = 2
) -> tuple[Delivered, int]:
    scene = await delivered_order(client, database)
    response = await _post(client, scene, _items((scene.line_ids[0], rating), text="一般"))
    assert response.status_code == 201, response.text
    review_id: int = response.json()["items"][0]["id"]
    return scene, review_id


async def test_the_supplier_replies_once(client: httpx.AsyncClient, database: Database) -> None:
    scene, review_id = await _reviewed(client, database)
    url = f"/api/v1/reviews/{review_id}/reply"

    assert_error(
        await client.post(url, json={"text": "  "}, headers=scene.supplier.headers),
        422,
        "invalid_review",
    )
    reply = await client.post(url, json={"text": "感谢反馈"}, headers=scene.supplier.headers)
    assert reply.status_code == 200, reply.text
    assert reply.json()["reply"]["text"] == "感谢反馈"
    assert_error(
        await client.post(url, json={"text": "再说一次"}, headers=scene.supplier.headers),
        409,
        "review_already_replied",
    )
    other = await delivered_order(client, database)
    for headers in (scene.buyer.headers, other.supplier.headers):
        assert_error(
            await client.post(url, json={"text": "x"}, headers=headers), 404, "review_not_found"
        )
    listed = (await client.get(f"/api/v1/products/{scene.seller.product_id}/reviews")).json()
    assert listed["items"][0]["reply"]["text"] == "感谢反馈"


async def test_an_operator_hides_a_review_with_a_reason(
    client: httpx.AsyncClient, database: Database
) -> None:
    scene, review_id = await _reviewed(client, database, rating=1)
    operator = await create_operator(database)
    url = f"/api/v1/admin/reviews/{review_id}/hide"
    headers = token_headers(operator)

    assert_error(
        await client.post(url, json={"reason": "x"}, headers=headers), 422, "invalid_review"
    )
    assert (
        await client.post(url, json={"reason": "含广告"}, headers=scene.supplier.headers)
    ).status_code == 403
    hidden = await client.post(url, json={"reason": "含广告"}, headers=headers)
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["hidden"] is True
    assert_error(
        await client.post(url, json={"reason": "含广告"}, headers=headers), 409, "review_hidden"
    )
    assert await product_rating(database, scene.seller.product_id) == (0, 0)
    listed = (await client.get(f"/api/v1/products/{scene.seller.product_id}/reviews")).json()
    assert listed == {"items": [], "count": 0, "average": None, "page": 1, "per_page": 10}
    async with unit_of_work(database.reader) as session:
        [entry] = await audit.entries_for(session, "review", review_id)
    assert (entry.action, entry.reason, entry.actor_user_id) == ("review.hide", "含广告", operator)
    # A hidden review takes no reply.
    assert_error(
        await client.post(
            f"/api/v1/reviews/{review_id}/reply", json={"text": "x"}, headers=scene.supplier.headers
        ),
        409,
        "review_hidden",
    )


async def test_reviews_of_an_unknown_product_are_not_found(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/products/999999/reviews"), 404, "product_not_found")
    assert_error(await client.get("/api/v1/products/0/reviews"), 404, "product_not_found")


async def test_the_listing_sorts_by_rating(client: httpx.AsyncClient, database: Database) -> None:
    low, _ = await _reviewed(client, database, rating=2)
    high, _ = await _reviewed(client, database, rating=5)
    unrated = await delivered_order(client, database)
    await sync_search_index(database)

    body = (await client.get("/api/v1/products", params={"sort": "rating"})).json()

    ids = [item["id"] for item in body["items"]]
    assert ids == [high.seller.product_id, low.seller.product_id, unrated.seller.product_id]
    assert_error(
        await client.get("/api/v1/products", params={"sort": "stars"}), 422, "validation_failed"
    )


async def test_a_suppliers_rating_sums_its_products_visible_reviews(
    client: httpx.AsyncClient, database: Database
) -> None:
    scene = await delivered_order(client, database, skus=2)
    first, second = scene.line_ids
    assert (await _post(client, scene, _items((first, 5), (second, 2)))).status_code == 201

    async with unit_of_work(database.reader) as session:
        rating = await review_service.cooperative_rating(session, scene.seller.id)
        nobody = await review_service.cooperative_rating(session, scene.seller.id + 1000)
    assert (rating.average, rating.count) == (3.5, 2)
    assert (nobody.average, nobody.count) == (None, 0)
