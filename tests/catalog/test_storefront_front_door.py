"""The storefront's kept pages answered at the front door (app.web.front_door) to visitors
without cookies: exactly what the app answers them (status, headers, body; a session cookie
and CSRF token of each visitor's own), only while the page is kept as it was, and never to a
request the app could answer differently."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.catalog import pages_storefront
from app.catalog.listing.caching import LISTING_PAGES
from app.jobs.runner import JobRunner
from app.web.front_door import FrontDoor
from tests.account.factories import csrf_token_in
from tests.catalog.factories import create_product, sku, visitor
from tests.cooperative.factories import Supplier

SESSION = "fengshou_session"


@pytest.fixture
async def product(client: httpx.AsyncClient, supplier: Supplier, runner: JobRunner) -> Any:
    created = await create_product(
        client, supplier, title="融水香糯", skus=[sku(price_fen=3980, stock=100)]
    )
    await runner.run_until_idle()  # the listing reads the search index
    return created


@pytest.fixture
def door(app: FastAPI) -> FrontDoor:
    found: FrontDoor = app.state.front_door
    return found


@pytest.fixture
def clock(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The app's caches' clock, which the test moves: nothing expires unless told."""
    now = [time.monotonic()]
    monkeypatch.setattr(app.state.caches, "clock", lambda: now[0])
    return now


async def stranger(app: FastAPI, path: str, **headers: str) -> httpx.Response:
    """A request from a browser with no cookies (a new one each time); `accept_encoding="x"`
    sends Accept-Encoding: x."""
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    async with visitor(app) as browser:
        return await browser.get(path, headers=sent)


def _pages(product: Any) -> dict[str, str]:
    return {
        "home": "/",
        "listing": "/products?sort=newest",
        "product": f"/products/{product['slug']}",
        "county": f"/counties/{product['county']['code']}",
    }


def _comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], str]:
    """Status, headers and text, with the visitor's own session cookie and token taken out."""
    text = response.text
    if 'name="csrf_token"' in text:
        text = text.replace(csrf_token_in(text), "TOKEN")
    headers = [
        (name, value.split("=", 1)[0] if name == "set-cookie" else value)
        for name, value in response.headers.multi_items()
    ]
    return response.status_code, headers, text


@pytest.mark.parametrize("page", ["home", "listing", "product", "county"])
@pytest.mark.parametrize("encoding", ["gzip", "identity"])
async def test_the_door_answers_a_visitor_without_cookies_what_the_app_answered(
    app: FastAPI, product: Any, door: FrontDoor, clock: list[float], page: str, encoding: str
) -> None:
    path = _pages(product)[page]
    through_the_app = await stranger(app, path, accept_encoding=encoding)
    assert door.answered == 0
    assert through_the_app.status_code == 200
    assert "融水香糯" in through_the_app.text

    at_the_door = await stranger(app, path, accept_encoding=encoding)
    assert door.answered == 1
    assert _comparable(at_the_door) == _comparable(through_the_app)
    assert at_the_door.headers.get("content-encoding") == ("gzip" if encoding == "gzip" else None)
    # The security headers too: the door answers before the layer that adds them.
    assert "frame-ancestors 'none'" in at_the_door.headers["content-security-policy"]
    if page == "product":  # a page with a form: each visitor their own session and token
        assert csrf_token_in(at_the_door.text) != csrf_token_in(through_the_app.text)
        assert at_the_door.cookies[SESSION] != through_the_app.cookies[SESSION]
    else:
        assert SESSION not in at_the_door.cookies
        assert at_the_door.content == through_the_app.content


async def test_the_doors_session_and_token_are_the_visitors_own_to_buy_with(
    app: FastAPI, product: Any, door: FrontDoor, clock: list[float]
) -> None:
    path = f"/products/{product['slug']}"
    await stranger(app, path)
    async with visitor(app) as browser:
        page = await browser.get(path)
        assert door.answered == 1
        form = {"sku_id": str(product["skus"][0]["id"]), "quantity": "2"}
        forged = await browser.post("/cart/add", data={**form, "csrf_token": "x" * 43})
        assert forged.status_code == 403
        added = await browser.post(
            "/cart/add",
            data={**form, "csrf_token": csrf_token_in(page.text)},
            headers={"referer": f"http://testserver{path}"},
        )
        assert added.status_code == 303, added.text
        cart = await browser.get("/api/v1/cart")
        assert [item["quantity"] for item in cart.json()["items"]] == [2]
        # With a cookie now, the browser is answered by the app: its header counts the line.
        again = await browser.get(path)
        assert door.answered == 1
        assert 'class="cart-count"' in again.text


async def test_the_door_answers_a_304_where_the_app_would(
    app: FastAPI, product: Any, door: FrontDoor, clock: list[float]
) -> None:
    first = await stranger(app, "/products")
    etag = first.headers["etag"]
    again = await stranger(app, "/products", if_none_match=etag)
    assert door.answered == 1
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert "content-length" not in again.headers
    assert again.headers["cache-control"] == "public, no-cache"
    other = await stranger(app, "/products", if_none_match='W/"another"')
    assert door.answered == 2
    assert other.status_code == 200
    assert other.content == first.content


async def test_a_write_or_expiry_sends_the_next_visitor_through_the_app(
    app: FastAPI,
    client: httpx.AsyncClient,
    product: Any,
    supplier: Supplier,
    door: FrontDoor,
    clock: list[float],
) -> None:
    path = f"/products/{product['slug']}"
    await stranger(app, path)
    assert "39.80" in (await stranger(app, path)).text
    assert door.answered == 1

    changed = await client.patch(
        f"/api/v1/skus/{product['skus'][0]['id']}",
        json={"price_fen": 4580},
        headers=supplier.headers,
    )
    assert changed.status_code == 200, changed.text
    after_write = await stranger(app, path)
    assert door.answered == 1  # through the app: the kept page was made again
    assert "45.80" in after_write.text and "39.80" not in after_write.text
    assert "45.80" in (await stranger(app, path)).text
    assert door.answered == 2

    # Fresh for STOREFRONT_FRESH_SECONDS: then the app answers (and refreshes behind it).
    clock[0] += pages_storefront.STOREFRONT_FRESH_SECONDS
    await stranger(app, path)
    assert door.answered == 2


async def test_the_listing_is_answered_at_the_door_only_while_its_page_is_kept(
    app: FastAPI, product: Any, door: FrontDoor, clock: list[float]
) -> None:
    await stranger(app, "/products")
    await stranger(app, "/products")
    assert door.answered == 1
    clock[0] += LISTING_PAGES.ttl_seconds or 0
    await stranger(app, "/products")  # stale: the app answers, and refreshes it
    assert door.answered == 1


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/products/{slug}", {"cookie": "lang=en"}),
        ("/products/{slug}", {"authorization": "Bearer nobody"}),
        ("/products/{slug}?lang=en", {}),
        ("/products?cart_added=1", {}),
        ("/products?min_price=abc", {}),
        ("/products?page=999", {}),
        ("/products/no-such-product", {}),
    ],
)
async def test_what_the_app_may_answer_otherwise_is_never_answered_at_the_door(
    app: FastAPI,
    product: Any,
    door: FrontDoor,
    clock: list[float],
    path: str,
    headers: dict[str, str],
) -> None:
    path = path.format(slug=product["slug"])
    answers = [await stranger(app, path, **headers) for _ in range(3)]
    assert door.answered == 0
    assert not door.entries
    assert len({answer.status_code for answer in answers}) == 1


async def test_head_and_post_requests_pass_the_door(
    app: FastAPI, product: Any, door: FrontDoor, clock: list[float]
) -> None:
    path = f"/products/{product['slug']}"
    await stranger(app, path)
    async with visitor(app) as browser:
        head = await browser.head(path)
        assert head.status_code == 405  # as the app answers it: its pages answer GET
        posted = await browser.post(path)
        assert posted.status_code == 405
    assert door.answered == 0
