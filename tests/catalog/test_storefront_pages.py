"""The storefront pages on the demo catalog: home, listing with facets, product and county pages."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import httpx
import pytest

from app.config import Settings
from app.core.clock import china_date, utcnow
from app.core.db import Database
from app.core.money import format_yuan
from app.core.storage import LocalMediaStorage
from app.demo import seed_demo_catalog
from app.demo.plan import DemoPlan, PlannedProduct, build_plan
from app.web.static import static_url
from tests.account.factories import create_user, sign_in_page

DEMO_SIZE = 40
CARD = re.compile(r'<article class="sf-card">(.*?)</article>', re.S)
CARD_SLUG = re.compile(r'href="/products/([^"]+)"')
CARD_PRICE = re.compile(r'<span class="sf-price">¥([0-9,]+\.[0-9]{2}) 起</span>')
NOT_FOUND_TEXT = "没有找到这个页面"


def _today() -> date:
    return china_date(utcnow())


@pytest.fixture
async def plan(database: Database, settings: Settings) -> DemoPlan:
    """The first 40 demo products, seeded; the plan says what the pages must show."""
    media = LocalMediaStorage(settings.media_dir)
    await seed_demo_catalog(database, media, products=DEMO_SIZE, supplier_login=False)
    return build_plan(DEMO_SIZE, _today())


def _listed(plan: DemoPlan) -> list[PlannedProduct]:
    """Active products of verified suppliers: what a shopper can see."""
    verified = {s.credit_code for s in plan.suppliers if s.status == "verified"}
    return [p for p in plan.products if p.status == "active" and p.supplier_credit_code in verified]


def _labels(product: PlannedProduct) -> set[str]:
    today = _today()
    return {
        c.kind
        for c in product.certificates
        if c.status == "verified" and c.valid_from <= today <= c.valid_until
    }


def _county(plan: DemoPlan, product: PlannedProduct) -> str:
    return next(
        s.county_code for s in plan.suppliers if s.credit_code == product.supplier_credit_code
    )


def _cards(html: str) -> list[str]:
    return CARD.findall(html)


def _slugs(html: str) -> list[str]:
    return [CARD_SLUG.search(card).group(1) for card in _cards(html)]  # type: ignore[union-attr]


def _total(html: str) -> int:
    match = re.search(r'id="result-count">共 ([0-9,]+) 件商品<', html)
    assert match is not None, "no result count on the page"
    return int(match.group(1).replace(",", ""))


def _assert_html(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


# ---------------------------------------------------------------------------------------------
# Home


async def test_home_shows_new_products_featured_counties_and_the_provinces(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    html = _assert_html(await client.get("/"), 200)

    # The regions content moved here unchanged.
    assert "覆盖 831 个脱贫县" in html
    assert "脱贫县 33 个" in html
    assert '<a href="/counties/450225">融水苗族自治县</a>' in html
    # New products: the newest listed demo products, first planned first.
    listed = _listed(plan)
    new_section = html.split('id="new-title"', 1)[1].split("</section>", 1)[0]
    assert _slugs(new_section) == [p.slug for p in listed[:8]]
    # Seasonal products: only products in season this month.
    month = str(_today().month)
    in_season = [p.slug for p in listed if month in p.season_months.split(",")]
    if in_season:
        seasonal = html.split('id="season-title"', 1)[1].split("</section>", 1)[0]
        assert set(_slugs(seasonal)) <= set(in_season)
        assert _slugs(seasonal)
    # Featured counties are key-assistance counties with products, linking to their pages.
    featured = html.split('id="featured-title"', 1)[1].split("</section>", 1)[0]
    assert '<a class="card sf-county-card" href="/counties/450225">' in featured
    assert "商品 1 件" in featured or "商品 2 件" in featured
    # Key-assistance products: every card carries the key-assistance badge.
    key_section = html.split('id="key-products-title"', 1)[1].split("</section>", 1)[0]
    cards = key_section.split('<article class="sf-card">')[1:]
    assert cards and all("badge-key" in card for card in cards)
    assert '<a href="/products?key_assistance=1">' in key_section


async def test_home_without_products_still_shows_the_regions(client: httpx.AsyncClient) -> None:
    html = _assert_html(await client.get("/"), 200)

    assert "各省脱贫县" in html
    assert "sf-card" not in html
    assert 'id="new-title"' not in html


async def test_pages_show_who_is_signed_in(client: httpx.AsyncClient, database: Database) -> None:
    await create_user(database, email="shopper@example.com", display_name="城市买家小王")
    await sign_in_page(client, "shopper@example.com")

    for path in ("/", "/products", "/counties/450225"):
        html = _assert_html(await client.get(path), 200)
        assert re.search(r'class="user-name"[^>]*>城市买家小王<', html), path


# ---------------------------------------------------------------------------------------------
# Listing


async def test_listing_shows_cards_with_price_unit_labels_county_and_supplier(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    html = _assert_html(await client.get("/products?sort=newest"), 200)

    listed = _listed(plan)
    assert _total(html) == len(listed)
    assert _slugs(html) == [p.slug for p in listed[:24]]
    suppliers = {s.credit_code: s for s in plan.suppliers}
    for card, product in zip(_cards(html), listed, strict=False):
        assert f"{format_yuan(product.min_price_fen)} 起" in card
        assert f"/ {product.unit}" in card
        assert suppliers[product.supplier_credit_code].name in card
        assert f'href="/counties/{_county(plan, product)}"' in card
        assert '<img class="sf-card-image" src="/media/products/' in card
        for kind, name in (("gi", "地理标志"), ("green_food", "绿色食品"), ("organic", "有机产品")):
            assert (f'sf-label-{kind}">{name}<' in card) == (kind in _labels(product)), card
    # Pending and suspended suppliers sell nothing.
    hidden = {p.slug for p in plan.products} - {p.slug for p in listed}
    assert hidden
    assert not hidden & set(_slugs(html))
    # Facets name their values in the page's language, with counts.
    assert re.search(
        r'data-facet="category" data-value="fruit">水果\s*<span class="sf-count">', html
    )
    assert re.search(r'data-facet="label" data-value="gi">地理标志\s*<span class="sf-count">', html)
    # Pages: 24 per page, then the rest, with links that keep the filters.
    assert '<span class="pager-current" aria-current="page">1</span>' in html
    assert 'href="/products?sort=newest&amp;page=2"' in html
    second = _assert_html(await client.get("/products?sort=newest&page=2"), 200)
    assert _slugs(second) == [p.slug for p in listed[24:]]


async def test_filtering_by_province_and_label_narrows_results_and_facets(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    listed = _listed(plan)
    gi_products = [p for p in listed if "gi" in _labels(p)]
    province = _county(plan, gi_products[0])[:2] + "0000"
    expected = {p.slug for p in gi_products if _county(plan, p).startswith(province[:2])}

    all_html = _assert_html(await client.get("/products"), 200)
    # The facets link to the filtered listing: no JavaScript needed.
    assert f'href="/products?province={province}"' in all_html
    html = _assert_html(await client.get(f"/products?province={province}&label=gi"), 200)

    assert set(_slugs(html)) == expected
    assert _total(html) == len(expected)
    # The chosen values are marked, and chips remove one filter while keeping the other.
    assert f'data-value="{province}" class="sf-facet-on" aria-current="true"' in html
    assert f'<a class="sf-chip" href="/products?province={province}">地理标志' in html
    assert '<a class="sf-chip" href="/products?label=gi">' in html
    # The form keeps the filters it does not show as fields.
    assert f'<input type="hidden" name="province" value="{province}">' in html
    assert '<input type="hidden" name="label" value="gi">' in html


async def test_price_range_in_yuan_and_sort(client: httpx.AsyncClient, plan: DemoPlan) -> None:
    listed = _listed(plan)
    expected = sorted(
        (p for p in listed if 4000 <= p.min_price_fen <= 6000),
        key=lambda p: (p.min_price_fen, p.slug),
    )

    html = _assert_html(
        await client.get("/products?min_price=40&max_price=60.00&sort=price_asc"), 200
    )

    prices = [int(float(m.replace(",", "")) * 100) for m in CARD_PRICE.findall(html)]
    assert prices == sorted(prices)
    assert len(prices) == len(expected) == _total(html)
    assert all(4000 <= price <= 6000 for price in prices)
    assert 'name="min_price" value="40"' in html
    assert 'name="max_price" value="60.00"' in html
    assert '<option value="price_asc" selected>' in html


async def test_key_assistance_toggle_and_keyword(client: httpx.AsyncClient, plan: DemoPlan) -> None:
    html = _assert_html(await client.get("/products?key_assistance=1"), 200)
    cards = _cards(html)
    assert cards
    assert all("重点帮扶县</span>" in card for card in cards)
    assert 'name="key_assistance" value="1" checked' in html

    title = _listed(plan)[1].title
    found = _assert_html(await client.get("/products", params={"q": title}), 200)
    assert _listed(plan)[1].slug in _slugs(found)


async def test_nothing_matches_shows_a_notice(client: httpx.AsyncClient, plan: DemoPlan) -> None:
    html = _assert_html(await client.get("/products", params={"q": "没有这种特产"}), 200)

    assert _cards(html) == []
    assert "没有找到符合条件的商品。" in html
    assert _total(html) == 0
    assert 'value="没有这种特产"' in html


@pytest.mark.parametrize(
    ("query", "code", "field_text", "kept"),
    [
        ("min_price=abc", "validation_failed", "最低价（元）", 'value="abc"'),
        ("min_price=-1", "validation_failed", "最低价（元）", 'value="-1"'),
        ("max_price=1.234", "validation_failed", "不低于最低价", 'value="1.234"'),
        ("min_price=1e3", "validation_failed", "最低价（元）", 'value="1e3"'),
        ("min_price=100&max_price=10", "validation_failed", "不低于最低价", 'value="100"'),
        ("province=999999", "unknown_province", "没有这个省份", 'value="999999"'),
        ("province=%E5%B9%BF%E8%A5%BF", "unknown_province", "没有这个省份", 'value="广西"'),
        ("category=spaceships", "unknown_category", "没有这个品类", 'value="spaceships"'),
        ("label=fake", "unknown_label", "没有这个认证标识", 'value="fake"'),
        ("county=000000", "unknown_county", "没有这个县", 'value="000000"'),
        ("sort=cheapest", "validation_failed", "排序方式", 'name="sort"'),
        ("page=0", "validation_failed", "页码无效", 'name="q"'),
        ("page=abc", "validation_failed", "页码无效", 'name="q"'),
        ("page=" + "9" * 5000, "validation_failed", "页码无效", 'name="q"'),
        ("q=%E8%84%90%00%E6%A9%99", "validation_failed", "控制字符", 'name="q"'),
        ("province=%00", "validation_failed", "没有这个省份", 'name="q"'),
        ("key_assistance=maybe", "validation_failed", "请勾选", 'name="key_assistance"'),
        ("q=" + "长" * 101, "validation_failed", "关键词最多 100 个字", 'name="q"'),
    ],
)
async def test_bad_filters_rerender_the_form_with_field_errors(
    client: httpx.AsyncClient,
    plan: DemoPlan,
    query: str,
    code: str,
    field_text: str,
    kept: str,
) -> None:
    html = _assert_html(await client.get(f"/products?{query}"), 422)

    assert f'data-error-code="{code}"' in html
    assert field_text in unescape(html)
    assert kept in unescape(html)
    assert _cards(html) == []  # nothing listed for a query the shop could not read
    assert 'id="result-count"' not in html


async def test_a_page_past_the_last_is_a_404_with_a_way_back(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    html = _assert_html(await client.get("/products?label=gi&page=9"), 404)

    assert 'data-error-code="page_out_of_range"' in html
    assert 'href="/products?label=gi"' in html
    assert _cards(html) == []


# ---------------------------------------------------------------------------------------------
# Product page


def _with_certificates(plan: DemoPlan) -> PlannedProduct:
    """A listed product with one valid badge and one certificate that must not show."""
    today = _today()
    for product in _listed(plan):
        valid = [c for c in product.certificates if c.kind in _labels(product)]
        hidden = [
            c for c in product.certificates if c.status != "verified" or c.valid_until < today
        ]
        if valid and hidden:
            return product
    return next(p for p in _listed(plan) if _labels(p))


async def test_product_page_shows_skus_tiers_certificates_origin_and_supplier(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    product = _with_certificates(plan)
    supplier = next(s for s in plan.suppliers if s.credit_code == product.supplier_credit_code)

    html = _assert_html(await client.get(f"/products/{product.slug}"), 200)

    assert f"<h1>{product.title}</h1>" in html
    assert f"{format_yuan(product.min_price_fen)} 起" in html
    for sku in product.skus:
        assert sku.name in unescape(html)
        assert format_yuan(sku.price_fen) in html
        for tier in sku.tiers:
            assert f"{tier.min_qty} 件起 {format_yuan(tier.price_fen)}/件" in html
    today = _today()
    for certificate in product.certificates:
        shown = certificate.status == "verified" and certificate.valid_until >= today
        assert (certificate.number in html) == shown, certificate
        if shown:
            assert certificate.issuer in html
            assert f"{certificate.valid_until.year}年" in html
    assert f'href="/counties/{supplier.county_code}"' in html
    assert supplier.name in html
    assert f"{supplier.households_supported:,} 户" in html
    # The description was sanitised when stored: it is inserted as HTML, not escaped.
    assert product.description_html in html
    assert "&lt;p&gt;" not in html
    assert '<img class="sf-photo" src="/media/products/' in html


@pytest.mark.parametrize("which", ["pending", "suspended"])
async def test_products_of_unverified_suppliers_are_not_found(
    client: httpx.AsyncClient, plan: DemoPlan, which: str
) -> None:
    codes = {s.credit_code for s in plan.suppliers if s.status == which}
    product = next(p for p in plan.products if p.supplier_credit_code in codes)

    html = _assert_html(await client.get(f"/products/{product.slug}"), 404)

    assert NOT_FOUND_TEXT in html
    assert product.title not in html


@pytest.mark.parametrize("slug", ["no-such-product", "x" * 500, "%00", "1-%E4%B8%AD", "..%2F.."])
async def test_unknown_products_are_an_html_404(
    client: httpx.AsyncClient, plan: DemoPlan, slug: str
) -> None:
    html = _assert_html(await client.get(f"/products/{slug}"), 404)

    assert NOT_FOUND_TEXT in html


# ---------------------------------------------------------------------------------------------
# County page


async def test_county_page_lists_its_verified_suppliers_and_products(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    product = _listed(plan)[0]
    county = _county(plan, product)
    supplier = next(s for s in plan.suppliers if s.credit_code == product.supplier_credit_code)

    html = _assert_html(await client.get(f"/counties/{county}"), 200)

    assert product.slug in _slugs(html)
    assert supplier.name in html
    assert f"带动农户 {supplier.households_supported:,} 户" in html
    assert f'href="/products?county={county}"' in html
    assert "帮扶本县的协作关系" in html


async def test_a_key_assistance_county_page_says_so(client: httpx.AsyncClient) -> None:
    key = _assert_html(await client.get("/counties/450225"), 200)  # 融水: on the 160 list
    plain = _assert_html(await client.get("/counties/360724"), 200)  # 上犹: in the 832 only

    assert 'id="key-assistance-note"' in key and "国家乡村振兴重点帮扶县" in key
    assert 'href="/impact#key-assistance"' in key
    assert (
        'id="key-assistance-note"' not in plain
        and "badge-key" not in plain.split("<main", 1)[-1].split("本县特产", 1)[0]
    )


async def test_county_page_hides_suspended_suppliers(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    suspended = next(s for s in plan.suppliers if s.status == "suspended")

    html = _assert_html(await client.get(f"/counties/{suspended.county_code}"), 200)

    assert suspended.name not in html
    assert _cards(html) == []
    assert "本县的合作社还没有上架商品。" in html


@pytest.mark.parametrize("code", ["999999", "not-a-code", "%00abcde", "6531２1"])
async def test_unknown_county_is_an_html_404(client: httpx.AsyncClient, code: str) -> None:
    html = _assert_html(await client.get(f"/counties/{code}"), 404)

    assert NOT_FOUND_TEXT in html


async def test_english_pages_are_marked_english(client: httpx.AsyncClient, plan: DemoPlan) -> None:
    for path in ("/?lang=en", "/products?lang=en", f"/products/{_listed(plan)[0].slug}?lang=en"):
        html = _assert_html(await client.get(path), 200)
        assert '<html lang="en">' in html, path


async def test_the_listing_numbers_its_pages_and_marks_the_current_one(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    listed = _listed(plan)
    pages = -(-len(listed) // 24)
    assert pages >= 2, "the demo catalog fills more than one page"

    first = _assert_html(await client.get("/products?sort=newest"), 200)
    second = _assert_html(await client.get("/products?sort=newest&page=2"), 200)

    assert '<span class="pager-current" aria-current="page">1</span>' in first
    assert 'href="/products?sort=newest&amp;page=2" aria-label="第 2 页">2</a>' in first
    assert '<span class="pager-current" aria-current="page">2</span>' in second
    # Page 1's address has no page number: one address per page.
    assert 'href="/products?sort=newest" aria-label="第 1 页">1</a>' in second
    assert 'rel="prev" href="/products?sort=newest"' in second


async def test_months_and_error_pages_speak_the_pages_language(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    seasonal = next(p for p in plan.products if p.status == "active" and p.season_months)
    month = int(seasonal.season_months.split(",")[0])
    zh = _assert_html(await client.get(f"/products/{seasonal.slug}"), 200)
    en = _assert_html(await client.get(f"/products/{seasonal.slug}?lang=en"), 200)
    assert f"{month}月" in zh
    english = ["", "January", "February", "March", "April", "May", "June", "July",
               "August", "September", "October", "November", "December"]  # fmt: skip
    assert english[month] in en and "Month " not in en

    missing_zh = await client.get("/products/no-such-product?lang=zh-CN")
    missing_en = await client.get("/products/no-such-product?lang=en")
    assert missing_zh.status_code == missing_en.status_code == 404
    assert "没有找到这个页面" in missing_zh.text and "No product" not in missing_zh.text
    assert "No product" in missing_en.text
    assert f'<link rel="icon" href="{static_url("favicon.svg")}"' in zh
    icon = await client.get(static_url("favicon.svg"))
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
