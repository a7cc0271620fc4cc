"""The /products page renders its listing column once per cached listing page.

What depends on the visitor (who is signed in, the CSRF token) is rendered on every request;
the column (facets, form, cards, pager) is reused while the listing is cached, and dropped
with it: a catalog write shows on the very next request, not after the cache expires.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.catalog import listing, pages_storefront
from app.core.db import Database
from app.jobs.runner import JobRunner
from tests.account.factories import create_user, csrf_token_in, sign_in_page
from tests.catalog.factories import create_product, sku
from tests.cooperative.factories import Supplier, create_supplier

MAIN = re.compile(r'<main class="container" id="main"[^>]*>(.*)</main>', re.S)
CARD_TITLE = re.compile(r'<h3 class="sf-card-title">([^<]*)</h3>')
CARD_PRICE = re.compile(r'<span class="sf-price">¥([0-9,]+\.[0-9]{2}) 起</span>')
USER_NAME = re.compile(r'class="user-name"[^>]*>([^<]*)<')


@pytest.fixture
def renders(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each rendering of the listing column, by the locale it was rendered in. The app's
    caches see time stand still: only a write, never expiry, may drop a page during a test."""
    calls: list[str] = []
    original: Callable[..., Any] = pages_storefront._listing_body

    def counting(*args: Any) -> Any:
        calls.append(args[-1])
        return original(*args)

    monkeypatch.setattr(pages_storefront, "_listing_body", counting)
    now = time.monotonic()
    monkeypatch.setattr(app.state.caches, "clock", lambda: now)
    return calls


@asynccontextmanager
async def visitor(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own: its own cookies, hence its own session."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def supplier(client: httpx.AsyncClient, database: Database, runner: JobRunner) -> Supplier:
    """A verified supplier with two listed products, indexed."""
    seller = await create_supplier(database)
    await create_product(client, seller, title="融水香糯", skus=[sku(price_fen=3980)])
    await create_product(client, seller, title="融水红茶", skus=[sku(price_fen=8800)])
    await runner.run_until_idle()
    return seller


def _main(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    match = MAIN.search(response.text)
    assert match is not None
    return match.group(1)


def _prices(response: httpx.Response) -> dict[str, str]:
    html = _main(response)
    return dict(zip(CARD_TITLE.findall(html), CARD_PRICE.findall(html), strict=True))


async def test_visitors_share_the_listing_column_but_not_their_name_or_token(
    app: FastAPI, database: Database, supplier: Supplier, renders: list[str]
) -> None:
    await create_user(database, email="wang@example.com", display_name="城市买家小王")
    await create_user(database, email="li@example.com", display_name="机关食堂老李")
    async with visitor(app) as anonymous, visitor(app) as wang, visitor(app) as li:
        await sign_in_page(wang, "wang@example.com")
        await sign_in_page(li, "li@example.com")

        first = await anonymous.get("/products")
        as_wang = await wang.get("/products")
        as_li = await li.get("/products")
        again = await anonymous.get("/products")

        # One rendering of the column, served to all four requests.
        assert renders == ["zh_CN"]
        assert _main(first) == _main(as_wang) == _main(as_li) == _main(again)
        assert set(_prices(first)) == {"融水香糯", "融水红茶"}
        # The frame is each visitor's own.
        assert USER_NAME.findall(as_wang.text) == ["城市买家小王"]
        assert USER_NAME.findall(as_li.text) == ["机关食堂老李"]
        assert USER_NAME.findall(first.text) == USER_NAME.findall(again.text) == []
        assert "城市买家小王" not in as_li.text and "机关食堂老李" not in as_wang.text
        wang_token, li_token = csrf_token_in(as_wang.text), csrf_token_in(as_li.text)
        assert wang_token != li_token
        assert wang_token not in as_li.text and li_token not in as_wang.text
        assert wang_token not in first.text and li_token not in first.text
        # Each token is the one its own session accepts: signing out with it works.
        out = await wang.post("/logout", data={"csrf_token": wang_token})
        assert out.status_code in (302, 303), out.text
        assert USER_NAME.findall((await wang.get("/products")).text) == []
        assert USER_NAME.findall((await li.get("/products")).text) == ["机关食堂老李"]
        assert renders == ["zh_CN"]


async def test_a_price_change_and_a_new_product_show_on_the_next_request(
    client: httpx.AsyncClient, supplier: Supplier, runner: JobRunner, renders: list[str]
) -> None:
    assert _prices(await client.get("/products")) == {"融水香糯": "39.80", "融水红茶": "88.00"}
    assert _prices(await client.get("/products")) == {"融水香糯": "39.80", "融水红茶": "88.00"}
    assert len(renders) == 1

    listed = (await client.get("/api/v1/products", params={"q": "香糯"})).json()["items"]
    product = (await client.get(f"/api/v1/products/{listed[0]['id']}")).json()
    changed = await client.patch(
        f"/api/v1/skus/{product['skus'][0]['id']}",
        json={"price_fen": 4580},
        headers=supplier.headers,
    )
    assert changed.status_code == 200, changed.text
    assert _prices(await client.get("/products")) == {"融水香糯": "45.80", "融水红茶": "88.00"}
    assert len(renders) == 2

    await create_product(client, supplier, title="融水香菇", skus=[sku(price_fen=2500)])
    await runner.run_until_idle()
    assert _prices(await client.get("/products")) == {
        "融水香糯": "45.80",
        "融水红茶": "88.00",
        "融水香菇": "25.00",
    }
    assert _prices(await client.get("/products")) == {
        "融水香糯": "45.80",
        "融水红茶": "88.00",
        "融水香菇": "25.00",
    }
    assert len(renders) == 3


async def test_each_language_and_each_spelling_of_the_query_gets_its_own_column(
    client: httpx.AsyncClient, supplier: Supplier, renders: list[str]
) -> None:
    chinese = _main(await client.get("/products"))
    english = _main(await client.get("/products", params={"lang": "en"}))
    assert "<h1>特产商品</h1>" in chinese
    assert "<h1>Specialties</h1>" in english
    # The choice is remembered (a cookie): the same listing, in English again, is reused.
    assert _main(await client.get("/products")) == english
    assert renders == ["zh_CN", "en"]

    # One query, typed two ways: the form shows what was typed each time.
    short = _main(await client.get("/products", params={"min_price": "39.8"}))
    long = _main(await client.get("/products", params={"min_price": "39.80"}))
    assert 'name="min_price" value="39.8"' in short
    assert 'name="min_price" value="39.80"' in long
    assert set(re.findall(r"href=\"/products/([^\"]+)\"", short)) == set(
        re.findall(r"href=\"/products/([^\"]+)\"", long)
    )
    assert renders == ["zh_CN", "en", "en", "en"]


def test_a_page_memo_keeps_its_latest_values_only() -> None:
    memo = listing.PageMemo()
    for n in range(listing.PAGE_MEMO_ENTRIES + 1):
        memo.put(("column", n), f"html {n}")
    assert memo.get(("column", 0)) is None
    assert [memo.get(("column", n)) for n in range(1, listing.PAGE_MEMO_ENTRIES + 1)] == [
        f"html {n}" for n in range(1, listing.PAGE_MEMO_ENTRIES + 1)
    ]
    memo.put(("column", 1), "html 1 again")  # a key already held replaces its value
    assert memo.get(("column", 1)) == "html 1 again"
    assert memo.get(("column", 2)) == "html 2"
