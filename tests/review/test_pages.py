"""Pages of reviews: the buyer reviews from the order's page, the product page and cards show
the reviews escaped, the supplier replies from its portal, the listing sorts by rating."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from app.core.db import Database
from app.order.models import FulfillmentStatus
from tests.account.factories import PASSWORD, create_operator, sign_in_page
from tests.catalog.factories import sync_search_index
from tests.review.factories import PageScene, form_csrf, page_scene, product_rating, review_count

SCRIPT = "<script>alert('x')</script>"
Browser = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    """Signed-in page clients, one per user (each with its own cookies)."""
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


async def _review(buyer: httpx.AsyncClient, scene: PageScene, **form: str) -> httpx.Response:
    order_path = f"/orders/{scene.order['id']}"
    csrf = await form_csrf(buyer, order_path)
    return await buyer.post(
        f"{order_path}/fulfillments/{scene.fulfillment_id}/reviews",
        data={"csrf_token": csrf, **form},
    )


async def test_a_buyer_reviews_from_the_order_page_and_the_text_is_escaped(
    client: httpx.AsyncClient, database: Database, browser: Browser
) -> None:
    scene = await page_scene(client, database, status=FulfillmentStatus.DELIVERED)
    buyer = await browser(scene.buyer_email)
    order_page = await buyer.get(f"/orders/{scene.order['id']}")
    assert f'name="rating-{scene.line_id}"' in order_page.text

    posted = await _review(
        buyer, scene, **{f"rating-{scene.line_id}": "4", f"text-{scene.line_id}": SCRIPT}
    )

    assert posted.status_code == 303, posted.text
    after = await buyer.get(f"/orders/{scene.order['id']}")
    assert f'name="rating-{scene.line_id}"' not in after.text  # reviewed: no form
    assert "&lt;script&gt;" in after.text and SCRIPT not in after.text
    product = (await client.get(f"/api/v1/products/{scene.seller.product_id}")).json()
    page = await client.get(f"/products/{product['slug']}")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    assert SCRIPT not in page.text
    assert "4.0 分 · 1 条评价" in page.text
    await sync_search_index(database)
    listing = await client.get("/products", params={"sort": "rating"})
    assert listing.status_code == 200
    assert "4.0 分 · 1 条评价" in listing.text
    assert 'value="rating" selected' in listing.text or "评分最高" in listing.text


async def test_the_review_form_refuses_nothing_rated_bad_ratings_and_twice(
    client: httpx.AsyncClient, database: Database, browser: Browser
) -> None:
    scene = await page_scene(client, database, status=FulfillmentStatus.DELIVERED)
    buyer = await browser(scene.buyer_email)

    nothing = await _review(buyer, scene, **{f"rating-{scene.line_id}": ""})
    assert nothing.status_code == 422
    assert "请至少为一件商品打分" in nothing.text
    six = await _review(buyer, scene, **{f"rating-{scene.line_id}": "6"})
    assert six.status_code == 422
    assert "评分应为 1 到 5 星" in six.text
    assert await review_count(database) == 0
    assert (await _review(buyer, scene, **{f"rating-{scene.line_id}": "5"})).status_code == 303
    again = await _review(buyer, scene, **{f"rating-{scene.line_id}": "1"})
    assert again.status_code == 409
    assert "已经评价过了" in again.text
    assert await product_rating(database, scene.seller.product_id) == (5, 1)
    # Someone else's parcel: not found.
    other = await page_scene(client, database, status=FulfillmentStatus.DELIVERED, n=2)
    stranger = await browser(other.buyer_email)
    csrf = await form_csrf(stranger, f"/orders/{other.order['id']}")
    response = await stranger.post(
        f"/orders/{scene.order['id']}/fulfillments/{scene.fulfillment_id}/reviews",
        data={"csrf_token": csrf, f"rating-{scene.line_id}": "1"},
    )
    assert response.status_code == 404


async def test_a_parcel_not_yet_delivered_shows_no_review_form(
    client: httpx.AsyncClient, database: Database, browser: Browser
) -> None:
    scene = await page_scene(client, database, status=FulfillmentStatus.SHIPPED)
    buyer = await browser(scene.buyer_email)

    page = await buyer.get(f"/orders/{scene.order['id']}")
    assert "rating-" not in page.text
    refused = await _review(buyer, scene, **{f"rating-{scene.line_id}": "5"})
    assert refused.status_code == 409
    assert "签收后才能评价" in refused.text


async def test_the_supplier_replies_once_from_its_portal(
    client: httpx.AsyncClient, database: Database, browser: Browser
) -> None:
    scene = await page_scene(client, database, status=FulfillmentStatus.DELIVERED)
    buyer = await browser(scene.buyer_email)
    await _review(buyer, scene, **{f"rating-{scene.line_id}": "3", f"text-{scene.line_id}": "一般"})
    supplier = await browser(scene.supplier_email)
    path = f"/coop/{scene.seller.id}/reviews"

    page = await supplier.get(path)
    assert page.status_code == 200
    assert "一般" in page.text and f'href="{path}"' in page.text  # the side menu links here
    review_id = (await client.get(f"/api/v1/products/{scene.seller.product_id}/reviews")).json()[
        "items"
    ][0]["id"]
    csrf = await form_csrf(supplier, path)
    reply = f"{path}/{review_id}/reply"
    assert (await supplier.post(reply, data={"csrf_token": csrf, "text": " "})).status_code == 422
    replied = await supplier.post(reply, data={"csrf_token": csrf, "text": f"谢谢{SCRIPT}"})
    assert replied.status_code == 303
    twice = await supplier.post(reply, data={"csrf_token": csrf, "text": "再谢"})
    assert twice.status_code == 409
    assert "已经回复过" in twice.text
    slug = (await client.get(f"/api/v1/products/{scene.seller.product_id}")).json()["slug"]
    product_page = await client.get(f"/products/{slug}")
    assert "谢谢&lt;script&gt;" in product_page.text
    # Another supplier's member: the page does not exist for them.
    other = await page_scene(client, database, status=FulfillmentStatus.DELIVERED, n=3)
    outsider = await browser(other.supplier_email)
    assert (await outsider.get(path)).status_code == 404
    csrf = await form_csrf(outsider, f"/coop/{other.seller.id}/reviews")
    response = await outsider.post(
        f"/coop/{other.seller.id}/reviews/{review_id}/reply", data={"csrf_token": csrf, "text": "x"}
    )
    assert response.status_code == 404


async def test_an_operator_hides_a_review_from_the_back_office(
    client: httpx.AsyncClient, database: Database, browser: Browser
) -> None:
    scene = await page_scene(client, database, status=FulfillmentStatus.DELIVERED)
    buyer = await browser(scene.buyer_email)
    await _review(buyer, scene, **{f"rating-{scene.line_id}": "1", f"text-{scene.line_id}": SCRIPT})
    await create_operator(database, email="ops@pages.example.com", password=PASSWORD)
    operator = await browser("ops@pages.example.com")

    page = await operator.get("/admin/reviews")
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.text and SCRIPT not in page.text
    review_id = int(re.findall(r'id="review-(\d+)"', page.text)[0])
    csrf = await form_csrf(operator, "/admin/reviews")
    hide = f"/admin/reviews/{review_id}/hide"
    short = await operator.post(hide, data={"csrf_token": csrf, "reason": "x"})
    assert short.status_code == 422
    assert "请填写隐藏原因" in short.text
    assert (
        await operator.post(hide, data={"csrf_token": csrf, "reason": "广告"})
    ).status_code == 303
    again = await operator.post(hide, data={"csrf_token": csrf, "reason": "广告"})
    assert again.status_code == 409
    assert await product_rating(database, scene.seller.product_id) == (0, 0)
    assert (await buyer.get("/admin/reviews")).status_code == 403
