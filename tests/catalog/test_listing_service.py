"""Read functions the storefront pages call: by slug, home sections, county catalog, query."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from app.catalog import listing
from app.catalog.errors import ProductNotFound, UnknownCategory
from app.catalog.schemas import ProductQuery
from app.cooperative.models import SupplierStatus
from app.core.db import Database, unit_of_work
from app.regions.errors import CountyNotFound
from tests.catalog.factories import create_product, sku, sync_search_index
from tests.cooperative.factories import (
    KEY_COUNTY,
    KEY_COUNTY_2,
    PLAIN_COUNTY,
    create_supplier,
    set_cooperative_status,
)

NOVEMBER = date(2026, 11, 28)


async def test_get_public_product_by_slug(client: httpx.AsyncClient, database: Database) -> None:
    supplier = await create_supplier(database)
    listed = await create_product(client, supplier, title="Gannan Navel Orange 赣南脐橙")
    draft = await create_product(client, supplier, title="Draft", status="draft")

    async with unit_of_work(database.reader) as session:
        product = await listing.get_public_product_by_slug(session, listed["slug"])
        assert (product.id, product.title) == (listed["id"], "Gannan Navel Orange 赣南脐橙")
        assert product.slug == f"{listed['id']}-gannan-navel-orange"
        for slug in (draft["slug"], "no-such-slug", "x" * 500, "1-p\x00"):
            with pytest.raises(ProductNotFound):
                await listing.get_public_product_by_slug(session, slug)


async def test_home_sections(client: httpx.AsyncClient, database: Database) -> None:
    rongshui = await create_supplier(database, county_code=KEY_COUNTY)
    zhaojue = await create_supplier(database, county_code=KEY_COUNTY_2)
    shangyou = await create_supplier(database, county_code=PLAIN_COUNTY)
    await create_product(client, rongshui, title="冬笋", season_months=[11, 12])
    await create_product(client, rongshui, title="全年大米", season_months=[])
    await create_product(client, zhaojue, title="一月苦荞", season_months=[1])
    await create_product(client, shangyou, title="十一月脐橙", season_months=[10, 11])
    await create_product(client, shangyou, title="草稿", status="draft", season_months=[11])

    async with unit_of_work(database.reader) as session:
        home = await listing.home_sections(session, NOVEMBER)

    assert [p.title for p in home.new_products] == ["十一月脐橙", "一月苦荞", "全年大米", "冬笋"]
    # Month 1 does not match "11": months are matched whole.
    assert [p.title for p in home.seasonal_products] == ["十一月脐橙", "冬笋"]
    assert [(c.county.code, c.product_count) for c in home.featured_counties] == [
        (KEY_COUNTY, 2),
        (KEY_COUNTY_2, 1),
    ]  # key-assistance counties only, most products first


async def test_county_catalog(client: httpx.AsyncClient, database: Database) -> None:
    first = await create_supplier(database, name="甲合作社")
    second = await create_supplier(database, name="乙合作社")
    suspended = await create_supplier(database, name="停业合作社")
    pending = await create_supplier(database, name="待审合作社", status=SupplierStatus.PENDING)
    await create_product(client, first, title="甲一")
    await create_product(client, first, title="甲二")
    await create_product(client, first, title="甲草稿", status="draft")
    await create_product(client, suspended, title="停业产品")
    await set_cooperative_status(database, suspended.id, SupplierStatus.SUSPENDED)
    await sync_search_index(database)
    await create_product(client, pending, title="待审草稿", status="draft")

    async with unit_of_work(database.reader) as session:
        catalog = await listing.county_catalog(session, KEY_COUNTY)
        with pytest.raises(CountyNotFound):
            await listing.county_catalog(session, "999999")

    assert catalog.county.name == "融水苗族自治县"
    assert [(c.id, c.product_count) for c in catalog.cooperatives] == [
        (first.id, 2),
        (second.id, 0),
    ]
    assert catalog.product_count == 2
    assert [p.title for p in catalog.products] == ["甲二", "甲一"]


async def test_list_products_from_a_query_object(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_supplier(database)
    await create_product(
        client, supplier, title="便宜", category="fruit", skus=[sku(price_fen=100)]
    )
    await create_product(
        client, supplier, title="很贵", category="fruit", skus=[sku(price_fen=900)]
    )

    async with unit_of_work(database.reader) as session:
        page = await listing.list_products(
            session, ProductQuery(category="fruit", sort="price_desc", per_page=1)
        )
        assert ([p.title for p in page.items], page.total) == (["很贵"], 2)
        with pytest.raises(UnknownCategory):
            await listing.list_products(session, ProductQuery(category="nope"))
