"""What search engines read: robots.txt, the sitemap, and each page's description, canonical
address and language alternates."""

from __future__ import annotations

import re
from html import unescape
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import select

from app.config import Settings
from app.cooperative.models import Cooperative
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.core.money import format_yuan
from app.core.storage import LocalMediaStorage
from app.demo import seed_demo_catalog
from app.demo.plan import DemoPlan, PlannedProduct, build_plan

DEMO_SIZE = 24
SITEMAP_NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
}


@pytest.fixture
async def plan(database: Database, settings: Settings) -> DemoPlan:
    media = LocalMediaStorage(settings.media_dir)
    await seed_demo_catalog(database, media, products=DEMO_SIZE, supplier_login=False)
    return build_plan(DEMO_SIZE, china_date(utcnow()))


@pytest.fixture
def base(settings: Settings) -> str:
    """The site's public address, which absolute links start with."""
    return settings.public_base_url.rstrip("/")


def _verified(plan: DemoPlan) -> set[str]:
    return {s.credit_code for s in plan.suppliers if s.status == "verified"}


def _listed(plan: DemoPlan) -> list[PlannedProduct]:
    verified = _verified(plan)
    return [p for p in plan.products if p.status == "active" and p.supplier_credit_code in verified]


def _meta(html: str, name: str) -> str:
    match = re.search(rf'<meta name="{name}" content="([^"]*)">', html)
    assert match, name
    return unescape(match[1])


def _link(html: str, rel: str, hreflang: str | None = None) -> list[str]:
    lang = f' hreflang="{hreflang}"' if hreflang else ""
    return [unescape(h) for h in re.findall(rf'<link rel="{rel}"{lang} href="([^"]*)">', html)]


async def test_robots_allows_the_storefront_and_names_the_sitemap(
    client: httpx.AsyncClient, base: str
) -> None:
    response = await client.get("/robots.txt")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert f"Sitemap: {base}/sitemap.xml" in lines
    disallowed = {line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow")}
    assert {"/api/", "/admin", "/coop", "/checkout", "/account"} <= disallowed
    for public in ("/products", "/counties", "/impact", "/suppliers", "/cart", "/"):
        assert not any(public.startswith(path) for path in disallowed), public


async def test_the_sitemap_lists_products_counties_and_verified_suppliers(
    client: httpx.AsyncClient, database: Database, plan: DemoPlan, base: str
) -> None:
    async with unit_of_work(database.reader) as session:
        suppliers = {
            c.credit_code: (c.id, c.county_code, c.status.value)
            for c in (await session.scalars(select(Cooperative))).all()
        }

    response = await client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own answer)
    urls = root.findall("s:url", SITEMAP_NS)
    locs = [u.findtext("s:loc", namespaces=SITEMAP_NS) for u in urls]
    assert len(locs) == len(set(locs))
    assert {f"{base}/", f"{base}/products", f"{base}/impact"} <= set(locs)

    listed = {f"{base}/products/{p.slug}" for p in _listed(plan)}
    all_products = {f"{base}/products/{p.slug}" for p in plan.products}
    assert {loc for loc in locs if loc and loc.startswith(f"{base}/products/")} == listed
    assert all_products - listed, "the demo plan has unlisted products to leave out"

    verified = [v for v in suppliers.values() if v[2] == "verified"]
    assert len(verified) < len(suppliers), "the demo plan has unverified suppliers"
    expected_suppliers = {f"{base}/suppliers/{id_}" for id_, _, _ in verified}
    assert {loc for loc in locs if loc and "/suppliers/" in loc} == expected_suppliers
    expected_counties = {f"{base}/counties/{county}" for _, county, _ in verified}
    assert {loc for loc in locs if loc and "/counties/" in loc} == expected_counties

    # Each address names its English alternate.
    for url in urls:
        loc = url.findtext("s:loc", namespaces=SITEMAP_NS)
        alternates = {
            link.get("hreflang"): link.get("href") for link in url.findall("xhtml:link", SITEMAP_NS)
        }
        assert alternates == {"zh-CN": loc, "en": f"{loc}?lang=en"}
    product_urls = [
        u for u in urls if "/products/" in (u.findtext("s:loc", namespaces=SITEMAP_NS) or "")
    ]
    assert all(
        re.fullmatch(r"\d{4}-\d{2}-\d{2}", u.findtext("s:lastmod", namespaces=SITEMAP_NS) or "")
        for u in product_urls
    )


async def test_product_and_county_pages_describe_themselves(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    product = _listed(plan)[0]
    page = (await client.get(f"/products/{product.slug}")).text
    description = _meta(page, "description")
    county_name = re.search(r'<a href="/counties/\d+">([^<]+)</a>', page)
    assert county_name
    assert product.title in description and county_name[1] in description
    assert format_yuan(product.min_price_fen) in description

    county = next(
        s.county_code for s in plan.suppliers if s.credit_code == product.supplier_credit_code
    )
    county_page = (await client.get(f"/counties/{county}")).text
    county_description = _meta(county_page, "description")
    assert "特产" in county_description
    titles = [
        p.title
        for p in _listed(plan)
        if next(s.county_code for s in plan.suppliers if s.credit_code == p.supplier_credit_code)
        == county
    ]
    assert any(title in county_description for title in titles)

    # Every page has a description of its own or the site's.
    for path in ("/", "/products", "/impact", "/login"):
        html = (await client.get(path)).text
        assert len(_meta(html, "description")) > 20, path
    assert _meta((await client.get("/products")).text, "description") != _meta(
        (await client.get("/")).text, "description"
    )


async def test_pages_name_their_canonical_address_and_language_alternates(
    client: httpx.AsyncClient, plan: DemoPlan, base: str
) -> None:
    slug = _listed(plan)[0].slug
    chinese = (await client.get(f"/products/{slug}")).text
    assert _link(chinese, "canonical") == [f"{base}/products/{slug}"]
    assert _link(chinese, "alternate", "zh-CN") == [f"{base}/products/{slug}"]
    assert _link(chinese, "alternate", "en") == [f"{base}/products/{slug}?lang=en"]
    assert _link(chinese, "alternate", "x-default") == [f"{base}/products/{slug}"]
    assert '<html lang="zh-CN">' in chinese

    english = (await client.get(f"/products/{slug}", params={"lang": "en"})).text
    assert '<html lang="en">' in english
    assert _link(english, "canonical") == [f"{base}/products/{slug}?lang=en"]
    assert _link(english, "alternate", "en") == [f"{base}/products/{slug}?lang=en"]
    # The switch back to Chinese says so, not relying on the cookie.
    assert f'href="/products/{slug}?lang=zh-CN" class="lang-switch"' in english

    # A filtered listing keeps its filters in both, and the switch keeps them too.
    listing = (
        await client.get(
            "/products", params={"category": "fruit", "cart_added": "1", "lang": "zh-CN"}
        )
    ).text
    assert _link(listing, "canonical") == [f"{base}/products?category=fruit"]
    assert _link(listing, "alternate", "en") == [f"{base}/products?category=fruit&lang=en"]
    assert 'href="/products?category=fruit&amp;lang=en" class="lang-switch"' in listing


async def test_a_lang_link_stays_in_its_language_whatever_the_cookie_says(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    # A visitor who chose English...
    await client.get("/products", params={"lang": "en"})
    assert '<html lang="en">' in (await client.get("/products")).text
    # ...still gets Chinese from a ?lang=zh-CN link, and English from ?lang=en once back.
    assert '<html lang="zh-CN">' in (await client.get("/products?lang=zh-CN")).text
    english = await client.get("/impact", params={"lang": "en"})
    assert '<html lang="en">' in english.text
    # The cookie is set only when the choice changes.
    assert "set-cookie" in english.headers
    again = await client.get("/impact", params={"lang": "en"})
    assert "set-cookie" not in again.headers and '<html lang="en">' in again.text


async def test_the_favicon_is_linked_and_served(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    icons = re.findall(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert len(icons) == 1
    icon = await client.get(icons[0])
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in icon.content
