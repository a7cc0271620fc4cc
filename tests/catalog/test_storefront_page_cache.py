"""The home, product and county pages are rendered once for every visitor and kept.

What depends on the visitor (who is signed in, the CSRF token in the buy forms) is put in on
every request; what the pages show of the catalog changes on the very next request after a
write of this app: a price, a stock figure, a certificate revoked (a sale only once little is
left; else within the kept page's lifetime). Concurrent requests for a page nobody has asked
for yet render it once.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.catalog import listing, pages_storefront
from app.certification.models import CertificateStatus
from app.core.db import Database
from app.inventory.repository import stock_figures_generation
from app.jobs.runner import JobRunner
from app.web import fragments
from tests.account.factories import (
    create_api_user,
    create_user,
    csrf_token_in,
    sign_in_page,
    token_for,
)
from tests.catalog.factories import create_product, sku, update_certificate, visitor
from tests.certification.factories import create_certificate
from tests.cooperative.factories import Supplier, create_supplier
from tests.inventory.factories import restock
from tests.order.factories import placed_order
from tests.sql_statements import recorded_statements

MAIN = re.compile(r'<main class="container" id="main"[^>]*>(.*)</main>', re.S)
USER_NAME = re.compile(r'class="user-name"[^>]*>([^<]*)<')
CSRF_FIELDS = re.compile(r'name="csrf_token" value="([^"]*)"')
CERTIFICATE_NUMBER = re.compile(r'<code class="sf-cert-number">([^<]*)</code>')
# The product page's notice that it is sold out for now.
OUT_OF_STOCK = "暂时缺货"
SKU_STOCK = re.compile(r'<td class="num">([0-9,]+)</td>\s*<td class="num">1</td>')


@pytest.fixture
def renders(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each rendering of a cached page, by template. The app's caches see time stand still:
    only a write, never expiry, may drop a page during a test."""
    calls: list[str] = []
    original: Callable[..., Any] = fragments.render_blocks

    async def counting(template: str, context: dict[str, Any]) -> Any:
        calls.append(template.rsplit("/", 1)[-1])
        return await original(template, context)

    monkeypatch.setattr(pages_storefront, "render_blocks", counting)
    now = time.monotonic()
    monkeypatch.setattr(app.state.caches, "clock", lambda: now)
    return calls


async def _refreshed(app: FastAPI) -> None:
    """Once the storefront's background refreshes under way have finished."""
    pages = app.state.caches.refreshing(pages_storefront.STOREFRONT_PAGES)
    contexts = app.state.caches.refreshing(pages_storefront.PRODUCT_PAGE_CONTEXTS)
    for _ in range(500):
        if not pages.refreshing and not contexts.refreshing:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the pages' refreshes did not finish")


@pytest.fixture
async def supplier(database: Database) -> Supplier:
    return await create_supplier(database)


@pytest.fixture
async def product(client: httpx.AsyncClient, database: Database, supplier: Supplier) -> Any:
    """A listed product with a verified certificate and one SKU of 100 at ¥39.80."""
    certificate = await create_certificate(
        database, supplier.id, number="AGI09876", status=CertificateStatus.VERIFIED
    )
    created = await create_product(
        client,
        supplier,
        title="融水香糯",
        certificate_ids=[certificate],
        skus=[sku(price_fen=3980, stock=100)],
    )
    created["certificate"] = certificate
    return created


def _main(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    match = MAIN.search(response.text)
    assert match is not None
    return match.group(1)


async def test_visitors_share_the_product_page_but_not_their_name_or_token(
    app: FastAPI, database: Database, product: Any, renders: list[str]
) -> None:
    await create_user(database, email="wang@example.com", display_name="城市买家小王")
    await create_user(database, email="li@example.com", display_name="机关食堂老李")
    path = f"/products/{product['slug']}"
    async with visitor(app) as anonymous, visitor(app) as wang, visitor(app) as li:
        await sign_in_page(wang, "wang@example.com")
        await sign_in_page(li, "li@example.com")

        first = await anonymous.get(path)
        as_wang = await wang.get(path)
        as_li = await li.get(path)
        again = await anonymous.get(path)

        assert renders == ["storefront_product.html"]
        assert "融水香糯" in _main(first)
        assert USER_NAME.findall(as_wang.text) == ["城市买家小王"]
        assert USER_NAME.findall(as_li.text) == ["机关食堂老李"]
        assert USER_NAME.findall(first.text) == USER_NAME.findall(again.text) == []
        assert "城市买家小王" not in as_li.text and "机关食堂老李" not in as_wang.text
        # Every buy form of a page carries its visitor's own token, and only that one.
        wang_token, li_token = csrf_token_in(as_wang.text), csrf_token_in(as_li.text)
        assert wang_token != li_token
        assert set(CSRF_FIELDS.findall(_main(as_wang))) == {wang_token}
        assert set(CSRF_FIELDS.findall(_main(as_li))) == {li_token}
        assert wang_token not in first.text and li_token not in first.text
        # The same page's content otherwise, down to the byte.
        assert _main(as_wang).replace(wang_token, "T") == _main(as_li).replace(li_token, "T")
        # The token in the page's buy form is the one the visitor's session accepts.
        added = await wang.post(
            "/cart/add",
            data={
                "sku_id": str(product["skus"][0]["id"]),
                "quantity": "2",
                "csrf_token": wang_token,
            },
        )
        assert added.status_code == 303, added.text
        refused = await li.post(
            "/cart/add",
            data={
                "sku_id": str(product["skus"][0]["id"]),
                "quantity": "2",
                "csrf_token": wang_token,
            },
        )
        assert refused.status_code == 403
        assert renders == ["storefront_product.html"]


async def test_a_price_stock_or_certificate_change_shows_on_the_next_request_of_every_page(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    product: Any,
    renders: list[str],
) -> None:
    pages = ["/", f"/products/{product['slug']}", f"/counties/{product['county']['code']}"]

    async def shown() -> list[str]:
        return [_main(await client.get(path)) for path in pages]

    async def told() -> tuple[int, int, list[str]]:
        """The JSON API's twin of the product page: price, stock, certificate numbers."""
        answer = await client.get(f"/api/v1/products/{product['id']}")
        assert answer.status_code == 200, answer.text
        detail = answer.json()
        skus, certificates = detail["skus"], detail["certificates"]
        return (
            skus[0]["price_fen"],
            skus[0]["stock_available"],
            [c["number"] for c in certificates],
        )

    before = await shown()
    assert all("39.80" in page for page in before)
    assert CERTIFICATE_NUMBER.findall(before[1]) == ["AGI09876"]
    assert SKU_STOCK.findall(before[1]) == ["100"]
    assert await told() == (3980, 100, ["AGI09876"])
    assert await shown() == before
    assert len(renders) == 3  # once per page

    changed = await client.patch(
        f"/api/v1/skus/{product['skus'][0]['id']}",
        json={"price_fen": 4580},
        headers=supplier.headers,
    )
    assert changed.status_code == 200, changed.text
    after_price = await shown()
    assert all("45.80" in page and "39.80" not in page for page in after_price)
    assert len(renders) == 6
    assert await told() == (4580, 100, ["AGI09876"])

    await restock(database, product["skus"][0]["id"], 1234)
    assert SKU_STOCK.findall((await shown())[1]) == ["1,234"]
    assert await told() == (4580, 1234, ["AGI09876"])

    await update_certificate(database, product["certificate"], status=CertificateStatus.REVOKED)
    assert CERTIFICATE_NUMBER.findall((await shown())[1]) == []
    assert await told() == (4580, 1234, [])


async def test_the_product_api_is_computed_once_for_everyone_and_unknown_ids_never_kept(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    product: Any,
    renders: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed: list[int] = []
    original = listing.get_public_product

    async def counting(session: Any, product_id: int, **options: Any) -> Any:
        computed.append(product_id)
        return await original(session, product_id, **options)

    monkeypatch.setattr(listing, "get_public_product", counting)
    path = f"/api/v1/products/{product['id']}"
    token = token_for(await create_user(database, email="api@example.com"))
    async with visitor(app) as other:
        answers = [
            await client.get(path),
            await other.get(path),
            await client.get(path, headers={"Authorization": f"Bearer {token}"}),
        ]
    assert [a.status_code for a in answers] == [200] * 3
    assert answers[0].content == answers[1].content == answers[2].content
    assert computed == [product["id"]]
    for _ in range(2):
        missing = await client.get("/api/v1/products/999999")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "product_not_found"
    assert computed == [product["id"], 999999, 999999]


async def test_concurrent_requests_for_a_page_not_yet_kept_render_it_once(
    app: FastAPI, product: Any, renders: list[str]
) -> None:
    path = f"/products/{product['slug']}"
    async with visitor(app) as one, visitor(app) as other:
        answers = await asyncio.gather(*(c.get(path) for c in [one, other] * 5))
    assert [a.status_code for a in answers] == [200] * 10
    assert renders == ["storefront_product.html"]
    assert len({_main(a).replace(csrf_token_in(a.text), "T") for a in answers}) == 1


async def test_each_language_gets_its_own_page_and_unknown_products_are_never_kept(
    client: httpx.AsyncClient, product: Any, renders: list[str]
) -> None:
    path = f"/products/{product['slug']}"
    chinese = await client.get(path)
    english = await client.get(path, params={"lang": "en"})
    assert 'lang="en"' in english.text and "Add to cart" in english.text
    assert "加入购物车" in chinese.text and "加入购物车" not in english.text
    assert renders == ["storefront_product.html"] * 2
    for _ in range(2):
        missing = await client.get("/products/no-such-product")
        assert missing.status_code == 404
    assert renders == ["storefront_product.html"] * 2


async def test_visitors_not_signed_in_share_the_whole_page_but_not_their_token(
    app: FastAPI, product: Any, renders: list[str]
) -> None:
    path = f"/products/{product['slug']}"
    async with visitor(app) as one, visitor(app) as other:
        first, second = await one.get(path), await other.get(path)
        one_token, other_token = csrf_token_in(first.text), csrf_token_in(second.text)
        assert one_token != other_token
        assert first.text.replace(one_token, "T") == second.text.replace(other_token, "T")
        # The header's notice after adding to the cart is not everybody's page.
        added = await one.post(
            "/cart/add",
            data={
                "sku_id": str(product["skus"][0]["id"]),
                "quantity": "1",
                "csrf_token": one_token,
            },
            headers={"referer": f"http://testserver{path}"},
        )
        assert added.status_code == 303, added.text
        notice = await one.get(added.headers["location"])
        assert "已加入购物车" in notice.text
        assert "已加入购物车" not in (await other.get(path)).text
        # One cart line now: the header counts it, so this visitor's frame is their own.
        counted = await one.get(path)
        assert 'class="cart-count"' in counted.text
        assert 'class="cart-count"' not in (await other.get(path)).text
    assert renders == ["storefront_product.html"]


async def test_visitors_not_signed_in_share_the_whole_listing_but_not_their_token(
    app: FastAPI, product: Any, runner: JobRunner
) -> None:
    await runner.run_until_idle()  # the listing reads the search index
    async with visitor(app) as one, visitor(app) as other:
        first, second = await one.get("/products"), await other.get("/products")
        assert "融水香糯" in first.text
        assert first.text == second.text  # the listing has no form of its own to protect
        assert "已加入购物车" in (await one.get("/products?cart_added=1")).text


async def test_a_sale_shows_within_the_pages_lifetime_and_at_once_when_little_is_left(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    product: Any,
    renders: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = f"/products/{product['slug']}"
    buyer = await create_api_user(database)
    sku_id = product["skus"][0]["id"]
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["100"]

    # A busy product's page is not rebuilt at every order: 70 left shows once the kept page
    # is refreshed, behind the first request after its fresh period (checkout reads the stock
    # itself, whatever a page showed).
    await placed_order(client, buyer, [(sku_id, 30)])
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["100"]
    assert renders == ["storefront_product.html"]
    later = time.monotonic() + pages_storefront.STOREFRONT_FRESH_SECONDS + 1
    monkeypatch.setattr(app.state.caches, "clock", lambda: later)
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["100"]  # not kept waiting
    await _refreshed(app)
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["70"]

    # A page nobody asked for in half a minute is served as kept while it is refreshed.
    await placed_order(client, buyer, [(sku_id, 10)])
    later += 30
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["70"]
    await _refreshed(app)
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["60"]

    # Past its stale window a kept page is not served: the request waits for a new one.
    await placed_order(client, buyer, [(sku_id, 10)])
    later += pages_storefront.STOREFRONT_FRESH_SECONDS + pages_storefront.STOREFRONT_STALE_SECONDS
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["50"]

    # Little left: each sale shows on the next request.
    await placed_order(client, buyer, [(sku_id, 30)])
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["20"]
    await placed_order(client, buyer, [(sku_id, 1)])
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["19"]

    # Such a sale rebuilds only the pages that show the figures (the product's page and its
    # API twin), not the home and county pages, which show only whether it is in stock.
    others = ["/", f"/counties/{product['county']['code']}"]
    api = f"/api/v1/products/{product['id']}"
    for other in others:
        assert "融水香糯" in (await client.get(other)).text
    assert (await client.get(api)).json()["skus"][0]["stock_available"] == 19
    renders.clear()
    await placed_order(client, buyer, [(sku_id, 1)])
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["18"]
    assert (await client.get(api)).json()["skus"][0]["stock_available"] == 18
    for other in others:
        assert "sf-soldout" not in _main(await client.get(other))
    assert renders == ["storefront_product.html"]

    # The sale that empties the product shows at once on every page: it is sold out.
    await placed_order(client, buyer, [(sku_id, 18)])
    for other in others:
        assert "sf-soldout" in _main(await client.get(other))
    assert SKU_STOCK.findall(_main(await client.get(path))) == []
    assert (await client.get(api)).json()["skus"][0]["stock_available"] == 0
    assert sorted(renders) == [
        "storefront_county.html",
        "storefront_home.html",
        "storefront_product.html",
        "storefront_product.html",
    ]


async def test_a_sale_where_little_is_left_renders_the_product_page_again_from_one_read(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    product: Any,
    renders: list[str],
) -> None:
    """During a rush, each such sale renders the page again while its visitors wait: what the
    page shows besides the stock figures is kept, and only these are read again."""
    path = f"/products/{product['slug']}"
    buyer = await create_api_user(database)
    sku_id = product["skus"][0]["id"]
    await placed_order(client, buyer, [(sku_id, 85)])
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["15"]
    await placed_order(client, buyer, [(sku_id, 1)])
    renders.clear()
    with recorded_statements(app.state.database) as statements:
        page = _main(await client.get(path))
    assert SKU_STOCK.findall(page) == ["14"]
    assert "融水香糯" in page and "39.80" in page
    assert renders == ["storefront_product.html"]
    reads = [statement for statement in statements if not statement.startswith("BEGIN")]
    assert len(reads) == 1, reads
    assert reads[0].startswith("SELECT skus.id, skus.stock FROM skus WHERE")

    # A write to a table the rest of the page shows (a supplier setting the stock writes the
    # SKU) reads the whole page again.
    await restock(database, sku_id, 12)
    with recorded_statements(app.state.database) as statements:
        page = _main(await client.get(path))
    assert SKU_STOCK.findall(page) == ["12"]
    assert any("FROM products" in statement for statement in statements)


async def test_a_sale_where_little_is_left_renders_only_its_own_products_page_again(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    product: Any,
    renders: list[str],
) -> None:
    """During a festival many products are nearly sold out at once: a sale of one of them
    does not render the others' pages again."""
    other = await create_product(
        client, supplier, title="三江茶油", skus=[sku(price_fen=6800, stock=12)]
    )
    assert stock_figures_generation(other["id"]) != stock_figures_generation(product["id"])
    path, other_path = f"/products/{product['slug']}", f"/products/{other['slug']}"
    buyer = await create_api_user(database)
    await placed_order(client, buyer, [(product["skus"][0]["id"], 90)])  # 10 left of each
    await placed_order(client, buyer, [(other["skus"][0]["id"], 2)])
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["10"]
    assert SKU_STOCK.findall(_main(await client.get(other_path))) == ["10"]

    renders.clear()
    await placed_order(client, buyer, [(other["skus"][0]["id"], 1)])
    assert SKU_STOCK.findall(_main(await client.get(other_path))) == ["9"]
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["10"]
    assert renders == ["storefront_product.html"]  # the other product's page only

    await placed_order(client, buyer, [(product["skus"][0]["id"], 1)])
    assert SKU_STOCK.findall(_main(await client.get(path))) == ["9"]
    assert renders == ["storefront_product.html"] * 2


async def test_a_sale_that_empties_a_product_renders_its_page_again_from_one_read(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    product: Any,
    renders: list[str],
) -> None:
    """A festival's hot products run out in the rush, while their pages' visitors wait for them:
    the page says so at once, rendered again from its SKUs' stock alone, and the pages of other
    products are not rendered again."""
    other = await create_product(
        client,
        supplier,
        title="三江茶油",
        skus=[sku(price_fen=6800, stock=12), sku(price_fen=1200, stock=1)],
    )
    assert stock_figures_generation(other["id"]) != stock_figures_generation(product["id"])
    path, other_path = f"/products/{product['slug']}", f"/products/{other['slug']}"
    api = f"/api/v1/products/{product['id']}"
    buyer = await create_api_user(database)
    sku_id = product["skus"][0]["id"]
    await placed_order(client, buyer, [(sku_id, 99)])
    page = _main(await client.get(path))
    assert SKU_STOCK.findall(page) == ["1"]
    assert OUT_OF_STOCK not in page
    assert (await client.get(api)).json()["in_stock"] is True
    assert SKU_STOCK.findall(_main(await client.get(other_path))) == ["12", "1"]

    # A product with another SKU left is still in stock when one of them runs out.
    await placed_order(client, buyer, [(other["skus"][1]["id"], 1)])
    other_page = _main(await client.get(other_path))
    assert SKU_STOCK.findall(other_page) == ["12"]
    assert OUT_OF_STOCK not in other_page

    await placed_order(client, buyer, [(sku_id, 1)])
    renders.clear()
    with recorded_statements(app.state.database) as statements:
        page = _main(await client.get(path))
    assert OUT_OF_STOCK in page
    assert SKU_STOCK.findall(page) == []
    assert "融水香糯" in page and "39.80" in page
    reads = [statement for statement in statements if not statement.startswith("BEGIN")]
    assert len(reads) == 1, reads
    assert reads[0].startswith("SELECT skus.id, skus.stock FROM skus WHERE")
    assert (await client.get(api)).json()["in_stock"] is False
    assert SKU_STOCK.findall(_main(await client.get(other_path))) == ["12"]
    assert renders == ["storefront_product.html"]

    # Back in stock (the supplier's count): at once too.
    await restock(database, sku_id, 5)
    page = _main(await client.get(path))
    assert OUT_OF_STOCK not in page
    assert SKU_STOCK.findall(page) == ["5"]
    assert (await client.get(api)).json()["in_stock"] is True
