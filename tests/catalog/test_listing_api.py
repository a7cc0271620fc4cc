"""The public listing: what is listed, filters, facets, sorts, paging, labels and query count."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.catalog.models import Product, ProductCertificate, ProductPhoto, ProductStatus, Sku
from app.certification.models import CertificateKind, CertificateStatus
from app.cooperative.models import SupplierStatus
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from tests.catalog.factories import create_product, sku, sync_search_index, update_certificate
from tests.certification.factories import create_certificate
from tests.cooperative.factories import (
    KEY_COUNTY,
    KEY_COUNTY_2,
    PLAIN_COUNTY,
    Supplier,
    create_supplier,
    set_cooperative_status,
)
from tests.http_assertions import assert_error
from tests.sql_statements import listening


@dataclass(frozen=True)
class World:
    rongshui: Supplier
    shangyou: Supplier
    zhaojue: Supplier
    gi_certificate: int
    ids: dict[str, int]


@pytest.fixture
async def world(client: httpx.AsyncClient, database: Database) -> World:
    """Five listed products in three provinces, plus products that must not be listed."""
    rongshui = await create_supplier(database, name="融水苗家合作社", county_code=KEY_COUNTY)
    shangyou = await create_supplier(database, name="上犹茶叶合作社", county_code=PLAIN_COUNTY)
    zhaojue = await create_supplier(database, name="昭觉苦荞合作社", county_code=KEY_COUNTY_2)
    gi = await create_certificate(
        database, rongshui.id, kind=CertificateKind.GI, status=CertificateStatus.VERIFIED
    )
    green = await create_certificate(
        database, rongshui.id, kind=CertificateKind.GREEN_FOOD, status=CertificateStatus.VERIFIED
    )
    organic = await create_certificate(
        database, shangyou.id, kind=CertificateKind.ORGANIC, status=CertificateStatus.VERIFIED
    )

    ids: dict[str, int] = {}

    async def make(name: str, supplier: Supplier, **fields: Any) -> None:
        ids[name] = (await create_product(client, supplier, title=name, **fields))["id"]

    await make(
        "融水香糯",
        rongshui,
        category="grain_oil",
        certificate_ids=[gi],
        skus=[sku(price_fen=3980)],
    )
    await make(
        "融水红茶",
        rongshui,
        category="tea",
        certificate_ids=[gi, green],
        skus=[sku(price_fen=8800, stock=0)],
    )
    await make(
        "上犹绿茶", shangyou, category="tea", certificate_ids=[organic], skus=[sku(price_fen=5600)]
    )
    await make("上犹脐橙", shangyou, category="fruit", skus=[sku(price_fen=2990)])
    await make("昭觉苦荞茶 100%_pure", zhaojue, category="tea", skus=[sku(price_fen=1500)])
    # Not listed: a draft, an archived product, and the products of a suspended supplier.
    await make("上犹草稿", shangyou, category="fruit", status="draft")
    await make("上犹下架", shangyou, category="fruit", status="archived")
    suspended = await create_supplier(database, name="停业合作社", county_code=KEY_COUNTY)
    await make("停业香菇", suspended, category="mushrooms")
    await set_cooperative_status(database, suspended.id, SupplierStatus.SUSPENDED)
    await sync_search_index(database)
    return World(rongshui, shangyou, zhaojue, gi, ids)


async def _list(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/products", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


def _facet(body: dict[str, Any], name: str) -> dict[str, int]:
    return {entry["value"]: entry["count"] for entry in body["facets"][name]}


# ---------------------------------------------------------------------------------------------
# What is listed


async def test_only_active_products_of_verified_suppliers_are_listed(
    client: httpx.AsyncClient, world: World
) -> None:
    body = await _list(client, sort="price_asc")

    assert body["total"] == 5
    assert _titles(body) == ["昭觉苦荞茶 100%_pure", "上犹脐橙", "融水香糯", "上犹绿茶", "融水红茶"]
    assert (body["page"], body["per_page"]) == (1, 24)


async def test_summary_shape(client: httpx.AsyncClient, world: World) -> None:
    body = await _list(client, q="融水香糯")

    # Text search ranks the exact title first (融水红茶 shares the county's name).
    item = body["items"][0]
    # Listed products have a photo (nothing is published without one): its thumbnail.
    assert item["image_url"].endswith("-thumb.jpg")
    assert item == {
        "id": world.ids["融水香糯"],
        "slug": f"{world.ids['融水香糯']}-p",
        "title": "融水香糯",
        "min_price_fen": 3980,
        "unit": "5kg/袋",
        "image_url": item["image_url"],
        "in_stock": True,
        "labels": ["gi"],
        "cooperative": {"id": world.rongshui.id, "name": "融水苗家合作社"},
        "county": {
            "code": "450225",
            "name": "融水苗族自治县",
            "province_code": "450000",
            "province_name": "广西壮族自治区",
            "key_assistance": True,
        },
        "rating": {"average": None, "count": 0},
        "brand": None,  # sold under no regional brand
    }


async def test_suspending_a_supplier_hides_its_products(
    client: httpx.AsyncClient, database: Database, world: World
) -> None:
    await set_cooperative_status(database, world.rongshui.id, SupplierStatus.SUSPENDED)
    await sync_search_index(database)

    body = await _list(client)

    assert body["total"] == 3
    assert not any(item["cooperative"]["id"] == world.rongshui.id for item in body["items"])
    response = await client.get(f"/api/v1/products/{world.ids['融水香糯']}")
    assert_error(response, 404, "product_not_found")


# ---------------------------------------------------------------------------------------------
# Filters


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"province": "450000"}, {"融水香糯", "融水红茶"}),
        ({"county": "360724"}, {"上犹绿茶", "上犹脐橙"}),
        ({"category": "tea"}, {"融水红茶", "上犹绿茶", "昭觉苦荞茶 100%_pure"}),
        ({"label": "gi"}, {"融水香糯", "融水红茶"}),
        ({"label": "green_food"}, {"融水红茶"}),
        ({"label": "organic"}, {"上犹绿茶"}),
        ({"key_assistance": "true"}, {"融水香糯", "融水红茶", "昭觉苦荞茶 100%_pure"}),
        ({"key_assistance": "false"}, {"上犹绿茶", "上犹脐橙"}),
        ({"min_price_fen": 3000, "max_price_fen": 6000}, {"融水香糯", "上犹绿茶"}),
        ({"min_price_fen": 3980, "max_price_fen": 3980}, {"融水香糯"}),
        ({"q": "红茶"}, {"融水红茶"}),
        ({"q": "上犹茶叶"}, {"上犹绿茶", "上犹脐橙"}),  # the supplier's name
        ({"q": "昭觉县"}, {"昭觉苦荞茶 100%_pure"}),  # the county's name
        ({"q": "PURE"}, {"昭觉苦荞茶 100%_pure"}),  # case-insensitive
        # Punctuation alone holds no word to search for: it filters nothing (no LIKE wildcard).
        ({"q": "%"}, {"融水香糯", "融水红茶", "上犹绿茶", "上犹脐橙", "昭觉苦荞茶 100%_pure"}),
        ({"q": "_"}, {"融水香糯", "融水红茶", "上犹绿茶", "上犹脐橙", "昭觉苦荞茶 100%_pure"}),
        ({"q": "  "}, {"融水香糯", "融水红茶", "上犹绿茶", "上犹脐橙", "昭觉苦荞茶 100%_pure"}),
        ({"category": "tea", "province": "450000", "label": "green_food"}, {"融水红茶"}),
        ({"category": "nuts"}, set()),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, world: World, params: dict[str, Any], titles: set[str]
) -> None:
    body = await _list(client, **params)

    assert set(_titles(body)) == titles
    assert body["total"] == len(titles)


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"category": "spaceships"}, "unknown_category", "category"),
        ({"label": "fair_trade"}, "unknown_label", "label"),
        ({"province": "990000"}, "unknown_province", "province"),
        ({"province": "45"}, "unknown_province", "province"),
        ({"province": "４５００００"}, "unknown_province", "province"),
        ({"county": "999999"}, "unknown_county", "county"),
        ({"county": "abc"}, "unknown_county", "county"),
        ({"key_assistance": "maybe"}, "validation_failed", "key_assistance"),
        ({"min_price_fen": "12.5"}, "validation_failed", "min_price_fen"),
        ({"min_price_fen": -1}, "validation_failed", "min_price_fen"),
        ({"max_price_fen": 10**20}, "validation_failed", "max_price_fen"),
        ({"min_price_fen": 500, "max_price_fen": 100}, "validation_failed", "max_price_fen"),
        ({"sort": "cheapest"}, "validation_failed", "sort"),
        ({"page": 0}, "validation_failed", "page"),
        ({"page": "x"}, "validation_failed", "page"),
        ({"per_page": 0}, "validation_failed", "per_page"),
        ({"per_page": 101}, "validation_failed", "per_page"),
        ({"q": "长" * 101}, "validation_failed", "q"),
        ({"q": "茶\x00"}, "validation_failed", "q"),
        ({"category": "fr\x00uit"}, "validation_failed", "category"),
        ({"county": "45022\x00"}, "validation_failed", "county"),
    ],
)
async def test_bad_filters_are_422(
    client: httpx.AsyncClient, world: World, params: dict[str, Any], code: str, field: str
) -> None:
    response = await client.get("/api/v1/products", params=params)

    error = assert_error(response, 422, code)
    assert field in error["fields"], error


# ---------------------------------------------------------------------------------------------
# Facets


async def test_facets_without_filters(client: httpx.AsyncClient, world: World) -> None:
    body = await _list(client)

    assert body["facets"]["province"] == [
        {"value": "360000", "label": "江西省", "count": 2},
        {"value": "450000", "label": "广西壮族自治区", "count": 2},
        {"value": "510000", "label": "四川省", "count": 1},
    ]
    assert body["facets"]["category"] == [
        {"value": "fruit", "label": "水果", "count": 1},
        {"value": "grain_oil", "label": "粮油", "count": 1},
        {"value": "tea", "label": "茶叶", "count": 3},
    ]
    assert body["facets"]["label"] == [
        {"value": "gi", "label": "地理标志农产品", "count": 2},
        {"value": "green_food", "label": "绿色食品", "count": 1},
        {"value": "organic", "label": "有机产品", "count": 1},
    ]


async def test_each_facet_ignores_its_own_filter_and_applies_the_others(
    client: httpx.AsyncClient, world: World
) -> None:
    body = await _list(client, category="tea", province="450000")

    assert _titles(body) == ["融水红茶"]
    # Categories of Guangxi products (category filter left out)...
    assert _facet(body, "category") == {"grain_oil": 1, "tea": 1}
    # ...provinces of tea products (province filter left out)...
    assert _facet(body, "province") == {"360000": 1, "450000": 1, "510000": 1}
    # ...and labels of Guangxi tea.
    assert _facet(body, "label") == {"gi": 1, "green_food": 1}

    body = await _list(client, label="gi")
    assert _facet(body, "label") == {"gi": 2, "green_food": 1, "organic": 1}
    assert _facet(body, "category") == {"grain_oil": 1, "tea": 1}


async def test_facet_values_are_accepted_as_filters(
    client: httpx.AsyncClient, world: World
) -> None:
    body = await _list(client)
    for name in ("province", "category", "label"):
        for entry in body["facets"][name]:
            filtered = await _list(client, **{name: entry["value"]})
            assert filtered["total"] == entry["count"], (name, entry)


# ---------------------------------------------------------------------------------------------
# Labels follow the certificates' validity


async def _labels_of(client: httpx.AsyncClient, title: str) -> list[str]:
    items = (await _list(client, q=title))["items"]
    [item] = [item for item in items if item["title"] == title]
    labels: list[str] = item["labels"]
    return labels


@pytest.mark.parametrize(
    "change",
    [
        {"valid_until": china_date(utcnow()) - timedelta(days=1)},
        {"valid_from": china_date(utcnow()) + timedelta(days=2)},
        {"status": CertificateStatus.REVOKED},
        {"status": CertificateStatus.PENDING},
    ],
    ids=["expired", "not-yet-valid", "revoked", "unverified"],
)
async def test_labels_disappear_with_their_certificate(
    client: httpx.AsyncClient, database: Database, world: World, change: dict[str, Any]
) -> None:
    assert await _labels_of(client, "融水香糯") == ["gi"]

    await update_certificate(database, world.gi_certificate, **change)

    assert await _labels_of(client, "融水香糯") == []
    assert await _labels_of(client, "融水红茶") == ["green_food"]
    body = await _list(client, label="gi")
    assert body["total"] == 0
    assert "gi" not in _facet(await _list(client), "label")
    detail = (await client.get(f"/api/v1/products/{world.ids['融水红茶']}")).json()
    assert detail["labels"] == ["green_food"]
    assert [c["kind"] for c in detail["certificates"]] == ["green_food"]


# ---------------------------------------------------------------------------------------------
# Sorts and pages


async def test_sorts(client: httpx.AsyncClient, world: World) -> None:
    all_five = ["融水香糯", "融水红茶", "上犹绿茶", "上犹脐橙", "昭觉苦荞茶 100%_pure"]
    newest = _titles(await _list(client, sort="newest"))
    assert newest == list(reversed(all_five))
    price_desc = _titles(await _list(client, sort="price_desc"))
    assert price_desc == ["融水红茶", "上犹绿茶", "融水香糯", "上犹脐橙", "昭觉苦荞茶 100%_pure"]
    # Relevance, for now: key-assistance counties first, newest first within each group.
    relevance = _titles(await _list(client))
    assert relevance == ["昭觉苦荞茶 100%_pure", "融水红茶", "融水香糯", "上犹脐橙", "上犹绿茶"]


async def test_pages(client: httpx.AsyncClient, world: World) -> None:
    seen: list[str] = []
    for page in (1, 2, 3):
        body = await _list(client, sort="price_asc", per_page=2, page=page)
        assert (body["total"], body["page"], body["per_page"]) == (5, page, 2)
        seen += _titles(body)
    assert seen == _titles(await _list(client, sort="price_asc"))

    response = await client.get("/api/v1/products", params={"per_page": 2, "page": 4})
    error = assert_error(response, 404, "page_out_of_range")
    assert "page" in error["fields"]


async def test_no_results_is_an_empty_page(client: httpx.AsyncClient, world: World) -> None:
    body = await _list(client, q="不存在的东西")
    assert body["items"] == []
    assert body["total"] == 0
    assert body["facets"] == {"province": [], "category": [], "label": [], "brand": []}


# ---------------------------------------------------------------------------------------------
# One product


async def test_public_product_detail(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get(f"/api/v1/products/{world.ids['融水红茶']}")

    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["title"] == "融水红茶"
    assert detail["labels"] == ["gi", "green_food"]
    assert [c["kind"] for c in detail["certificates"]] == ["gi", "green_food"]
    assert set(detail["certificates"][0]) == {
        "kind",
        "number",
        "issuer",
        "valid_until",
        "scan_url",
        "scan_is_pdf",
    }
    assert detail["households_supported"] == 120
    assert detail["skus"][0]["stock_available"] == 0
    assert detail["in_stock"] is False
    assert detail["category"] == {"code": "tea", "name": "茶叶", "requires_food_licence": True}
    assert len(detail["photos"]) == 1
    assert detail["food_licence_number"] == "SC10145012300016"
    assert (detail["shelf_life_days"], detail["storage_conditions"]) == (365, "阴凉干燥处保存")
    assert "status" not in detail  # the supplier's view only


@pytest.mark.parametrize("title", ["上犹草稿", "上犹下架", "停业香菇"])
async def test_unlisted_products_are_404_publicly(
    client: httpx.AsyncClient, world: World, title: str
) -> None:
    response = await client.get(f"/api/v1/products/{world.ids[title]}")
    assert_error(response, 404, "product_not_found")


async def test_unknown_product_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/products/424242"), 404, "product_not_found")
    assert_error(await client.get("/api/v1/products/abc"), 422, "validation_failed")


# ---------------------------------------------------------------------------------------------
# The county, with its suppliers (moved here from the regions API)


async def test_county_lists_its_verified_suppliers_and_product_counts(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(f"/api/v1/regions/counties/{KEY_COUNTY}")

    assert response.status_code == 200, response.text
    county = response.json()
    assert county["name"] == "融水苗族自治县"
    assert county["key_assistance"] is True
    assert "pairings" in county
    # The suspended supplier of the same county is not shown.
    assert county["cooperatives"] == [
        {
            "id": world.rongshui.id,
            "name": "融水苗家合作社",
            "households_supported": 120,
            "product_count": 2,
        }
    ]
    assert county["product_count"] == 2
    empty = (await client.get("/api/v1/regions/counties/450226")).json()
    assert (empty["cooperatives"], empty["product_count"]) == ([], 0)


# ---------------------------------------------------------------------------------------------
# A bounded number of statements, whatever the page size


@contextmanager
def count_statements(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with listening(database, "before_cursor_execute", before):
        yield statements


async def test_statement_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, database: Database
) -> None:
    rongshui = await create_supplier(database, county_code=KEY_COUNTY)
    shangyou = await create_supplier(database, county_code=PLAIN_COUNTY)
    certificates = {
        rongshui.id: await create_certificate(
            database, rongshui.id, status=CertificateStatus.VERIFIED
        ),
        shangyou.id: await create_certificate(
            database, shangyou.id, kind=CertificateKind.ORGANIC, status=CertificateStatus.VERIFIED
        ),
    }
    async with unit_of_work(database.writer) as session:
        for n in range(60):
            supplier = rongshui if n % 2 else shangyou
            product = Product(
                cooperative_id=supplier.id,
                slug=f"bulk-{n}",
                title=f"产品 {n}",
                category_code=("fruit", "tea", "grain_oil")[n % 3],
                unit="箱",
                status=ProductStatus.ACTIVE,
                min_price_fen=1000 + n,
                in_stock=True,
                published_at=utcnow(),
                skus=[Sku(code=f"BULK-{n}", name="箱", price_fen=1000 + n, stock=5)],
            )
            session.add(product)
            await session.flush()
            session.add_all(
                [
                    ProductCertificate(
                        product_id=product.id, certificate_id=certificates[supplier.id]
                    ),
                    ProductPhoto(
                        product_id=product.id,
                        image_key=f"products/{product.id}/a.jpg",
                        thumb_key=f"products/{product.id}/a-thumb.jpg",
                        width=800,
                        height=600,
                    ),
                ]
            )
    await sync_search_index(database)
    # The first listing of a process reads the reference data (provinces, categories) once.
    await _list(client)

    counts: dict[int, int] = {}
    for per_page in (5, 50):
        with count_statements(database) as statements:
            body = await _list(client, per_page=per_page, label="gi", sort="newest")
        assert len(body["items"]) == min(per_page, 30)
        assert all(item["labels"] == ["gi"] for item in body["items"])
        assert all(item["image_url"].endswith("-thumb.jpg") for item in body["items"])
        counts[per_page] = len(statements)
    assert counts[5] == counts[50], counts
    assert counts[5] <= 10, counts


async def test_openapi_documents_the_catalog_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path, method, status in (
        ("/api/v1/products", "get", "200"),
        ("/api/v1/products/{product_id}", "get", "200"),
        ("/api/v1/products/{product_id}", "patch", "200"),
        ("/api/v1/cooperatives/{cooperative_id}/products", "post", "201"),
        ("/api/v1/products/{product_id}/skus", "post", "201"),
        ("/api/v1/skus/{sku_id}", "patch", "200"),
        ("/api/v1/products/{product_id}/photos", "post", "201"),
        ("/api/v1/admin/reference-prices", "put", "200"),
        ("/api/v1/admin/flagged-products", "get", "200"),
        ("/api/v1/regions/counties/{code}", "get", "200"),
    ):
        responses = paths[path][method]["responses"]
        assert responses[status]["content"]["application/json"]["schema"], (path, method)
        assert "422" in responses
    listing_params = {p["name"] for p in paths["/api/v1/products"]["get"]["parameters"]}
    assert {"q", "province", "county", "category", "label", "key_assistance"} <= listing_params
    assert {"min_price_fen", "max_price_fen", "sort", "page", "per_page"} <= listing_params
    assert "204" in paths["/api/v1/products/{product_id}/photos/{photo_id}"]["delete"]["responses"]
