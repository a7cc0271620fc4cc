"""Regional public brands through the API: an operator creates and changes them (bad counties,
taken slugs and names, logos that are not images refused, nothing changed); a supplier links a
product only inside the brand's region and with its required certificate; a lapsed certificate
ends the link's showing; the listing's brand filter and facet; the brand page's benefit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from app.catalog.models import Sku
from app.certification.models import CertificateKind, CertificateStatus
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from tests.account.factories import create_user, token_headers
from tests.brands.factories import (
    ANYUAN,
    SHANGYOU,
    XUNWU,
    brand_body,
    create_brand,
    link_in_table,
    operator_headers,
)
from tests.catalog.factories import (
    Seller,
    create_product,
    png_bytes,
    sku,
    sync_search_index,
    update_certificate,
)
from tests.certification.factories import create_certificate
from tests.cooperative.factories import Supplier, create_supplier
from tests.http_assertions import assert_error
from tests.impact.factories import GUANGDONG, Line, paid_order


async def _brands(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/brands")
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


# ---------------------------------------------------------------------------------------------
# The operator's brands


async def test_an_operator_creates_a_brand_with_its_region(
    client: httpx.AsyncClient, database: Database
) -> None:
    headers = await operator_headers(database)

    brand = await create_brand(client, headers, name="赣南脐橙", slug="gannan-navel-orange")

    assert brand["slug"] == "gannan-navel-orange"
    assert brand["owner"] == "赣州市果业协会"
    assert brand["required_certificate_kind"] == "gi"
    assert [c["name"] for c in brand["counties"]] == ["安远县", "会昌县", "寻乌县"]
    assert brand["logo_url"] is None
    listed = await _brands(client)
    assert [(b["slug"], b["county_count"], b["product_count"]) for b in listed] == [
        ("gannan-navel-orange", 3, 0)
    ]


async def test_bad_brands_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, database: Database
) -> None:
    headers = await operator_headers(database)
    post = "/api/v1/admin/brands"

    outside = await client.post(
        post, json=brand_body(county_codes=[ANYUAN, "999999", "12345", "71000０"]), headers=headers
    )
    error = assert_error(outside, 422, "invalid_county_codes")
    assert error["fields"] == {
        "county_codes.1": "unknown county",
        "county_codes.2": "not a county code",
        "county_codes.3": "not a county code",
    }
    province = await client.post(post, json=brand_body(county_codes=["360000"]), headers=headers)
    assert_error(province, 422, "invalid_county_codes")
    bad_bodies: list[dict[str, Any]] = [
        {"slug": "Gannan Orange"},
        {"slug": "-x"},
        {"county_codes": []},
        {"required_certificate_kind": "halal"},
        {"name": ""},
        {"extra": 1},
    ]
    for bad in bad_bodies:
        assert_error(
            await client.post(post, json=brand_body(**bad), headers=headers),
            422,
            "validation_failed",
        )
    assert await _brands(client) == []

    await create_brand(client, headers, name="宁夏枸杞", slug="ningxia-goji")
    taken = await client.post(post, json=brand_body(slug="ningxia-goji"), headers=headers)
    assert_error(taken, 409, "brand_slug_taken")
    named = await client.post(post, json=brand_body(name="宁夏枸杞"), headers=headers)
    assert_error(named, 409, "brand_name_taken")
    assert [b["slug"] for b in await _brands(client)] == ["ningxia-goji"]


async def test_only_operators_create_brands(client: httpx.AsyncClient, database: Database) -> None:
    buyer = await create_user(database)

    response = await client.post(
        "/api/v1/admin/brands", json=brand_body(), headers=token_headers(buyer)
    )

    assert response.status_code == 403
    assert await _brands(client) == []


async def test_a_brand_changes_and_takes_a_logo_but_never_a_non_image(
    client: httpx.AsyncClient, database: Database
) -> None:
    headers = await operator_headers(database)
    brand = await create_brand(client, headers)
    other = await create_brand(client, headers)
    path = f"/api/v1/admin/brands/{brand['id']}"

    changed = await client.patch(
        path, json={"county_codes": [XUNWU], "required_certificate_kind": None}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert [c["code"] for c in changed.json()["counties"]] == [XUNWU]
    assert changed.json()["required_certificate_kind"] is None
    assert_error(
        await client.patch(path, json={"slug": other["slug"]}, headers=headers),
        409,
        "brand_slug_taken",
    )
    assert_error(
        await client.patch(path, json={"county_codes": ["000000"]}, headers=headers),
        422,
        "invalid_county_codes",
    )
    assert_error(
        await client.patch("/api/v1/admin/brands/999999", json={}, headers=headers),
        404,
        "brand_not_found",
    )

    logo = await client.post(
        f"{path}/logo",
        files={"file": ("logo.png", png_bytes(200, 200), "image/png")},
        headers=headers,
    )
    assert logo.status_code == 200, logo.text
    logo_url = logo.json()["logo_url"]
    assert logo_url and logo_url.startswith("/media/brands/")
    assert (await client.get(logo_url)).status_code == 200
    not_image = await client.post(
        f"{path}/logo",
        files={"file": ("logo.png", b"<svg onload=x>", "image/png")},
        headers=headers,
    )
    assert_error(not_image, 422, "unsupported_type")
    after = (await client.get(f"/api/v1/brands/{brand['slug']}")).json()
    assert after["logo_url"] == logo_url
    assert [c["code"] for c in after["counties"]] == [XUNWU]


# ---------------------------------------------------------------------------------------------
# Linking products


async def _orange_supplier(
    client: httpx.AsyncClient, database: Database, county: str = ANYUAN, *, gi: bool = True
) -> tuple[Supplier, int, int | None]:
    supplier = await create_supplier(database, name=f"橙农合作社{county}", county_code=county)
    certificate = (
        await create_certificate(
            database, supplier.id, kind=CertificateKind.GI, status=CertificateStatus.VERIFIED
        )
        if gi
        else None
    )
    product = await create_product(
        client,
        supplier,
        title="安远脐橙",
        category="fruit",
        certificate_ids=[certificate] if certificate else [],
        skus=[sku(price_fen=5900)],
    )
    return supplier, product["id"], certificate


async def test_a_product_links_to_a_brand_of_its_region_with_the_certificate(
    client: httpx.AsyncClient, database: Database
) -> None:
    brand = await create_brand(client, await operator_headers(database))
    supplier, product_id, _ = await _orange_supplier(client, database)

    linked = await client.patch(
        f"/api/v1/products/{product_id}", json={"brand_id": brand["id"]}, headers=supplier.headers
    )

    assert linked.status_code == 200, linked.text
    assert linked.json()["brand_id"] == brand["id"]
    assert linked.json()["brand"] == {"slug": brand["slug"], "name": brand["name"]}
    await sync_search_index(database)
    shown = (await client.get(f"/api/v1/products/{product_id}")).json()
    assert shown["brand"] == {"slug": brand["slug"], "name": brand["name"]}
    listing = (await client.get("/api/v1/products", params={"brand": brand["slug"]})).json()
    assert [item["id"] for item in listing["items"]] == [product_id]
    assert listing["items"][0]["brand"]["slug"] == brand["slug"]
    assert {f["value"]: f["count"] for f in listing["facets"]["brand"]} == {brand["slug"]: 1}
    unlinked = await client.patch(
        f"/api/v1/products/{product_id}", json={"brand_id": None}, headers=supplier.headers
    )
    assert unlinked.json()["brand_id"] is None and unlinked.json()["brand"] is None


async def test_links_outside_the_region_or_without_the_certificate_are_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    brand = await create_brand(client, await operator_headers(database))
    outside, outside_product, _ = await _orange_supplier(client, database, SHANGYOU)
    bare, bare_product, _ = await _orange_supplier(client, database, XUNWU, gi=False)

    mismatch = await client.patch(
        f"/api/v1/products/{outside_product}",
        json={"brand_id": brand["id"], "title": "改名"},
        headers=outside.headers,
    )
    assert_error(mismatch, 422, "brand_region_mismatch")
    missing = await client.patch(
        f"/api/v1/products/{bare_product}", json={"brand_id": brand["id"]}, headers=bare.headers
    )
    assert_error(missing, 422, "brand_certificate_missing")
    unknown = await client.patch(
        f"/api/v1/products/{bare_product}", json={"brand_id": 987654}, headers=bare.headers
    )
    assert_error(unknown, 422, "brand_not_found")
    for bad in ("1", 1.5, True, 0):
        assert_error(
            await client.patch(
                f"/api/v1/products/{bare_product}", json={"brand_id": bad}, headers=bare.headers
            ),
            422,
            "validation_failed",
        )
    # Nothing changed: the title stays, no product is linked.
    kept = (await client.get(f"/api/v1/products/{outside_product}")).json()
    assert kept["title"] == "安远脐橙" and kept["brand"] is None
    # A pending certificate is no certificate; an expired one neither.
    pending = await create_certificate(database, bare.id, kind=CertificateKind.GI)
    with_pending = await client.patch(
        f"/api/v1/products/{bare_product}",
        json={"brand_id": brand["id"], "certificate_ids": [pending]},
        headers=bare.headers,
    )
    assert_error(with_pending, 422, "brand_certificate_missing")
    # Someone else's product is 404, brand or not.
    other = await client.patch(
        f"/api/v1/products/{bare_product}", json={"brand_id": brand["id"]}, headers=outside.headers
    )
    assert other.status_code == 404


async def test_a_link_whose_certificate_lapses_stops_showing(
    client: httpx.AsyncClient, database: Database
) -> None:
    brand = await create_brand(client, await operator_headers(database))
    supplier, product_id, certificate = await _orange_supplier(client, database)
    await client.patch(
        f"/api/v1/products/{product_id}", json={"brand_id": brand["id"]}, headers=supplier.headers
    )
    assert certificate is not None
    yesterday = china_date(utcnow()) - timedelta(days=1)

    await update_certificate(
        database, certificate, valid_from=yesterday - timedelta(days=400), valid_until=yesterday
    )

    assert (await client.get(f"/api/v1/products/{product_id}")).json()["brand"] is None
    listing = (await client.get("/api/v1/products", params={"brand": brand["slug"]})).json()
    assert listing["items"] == [] and listing["facets"]["brand"] == []
    page = (await client.get(f"/api/v1/brands/{brand['slug']}")).json()
    assert page["products"] == [] and page["suppliers"] == []
    assert (await _brands(client))[0]["product_count"] == 0


async def test_a_product_whose_county_leaves_the_region_stops_showing(
    client: httpx.AsyncClient, database: Database
) -> None:
    headers = await operator_headers(database)
    brand = await create_brand(client, headers)
    supplier, product_id, _ = await _orange_supplier(client, database)
    await client.patch(
        f"/api/v1/products/{product_id}", json={"brand_id": brand["id"]}, headers=supplier.headers
    )

    shrunk = await client.patch(
        f"/api/v1/admin/brands/{brand['id']}", json={"county_codes": [XUNWU]}, headers=headers
    )

    assert shrunk.status_code == 200, shrunk.text
    await sync_search_index(database)
    shown = (await client.get(f"/api/v1/products/{product_id}")).json()
    assert shown["brand"] is None
    assert (await client.get("/api/v1/products", params={"brand": brand["slug"]})).json()[
        "items"
    ] == []
    assert (await client.get(f"/api/v1/brands/{brand['slug']}")).json()["products"] == []
    again = await client.patch(
        f"/api/v1/products/{product_id}", json={"brand_id": brand["id"]}, headers=supplier.headers
    )
    assert_error(again, 422, "brand_region_mismatch")


async def test_the_listing_refuses_an_unknown_brand(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.get("/api/v1/products", params={"brand": "no-such-brand"}),
        422,
        "unknown_brand",
    )
    assert_error(await client.get("/api/v1/brands/no-such-brand"), 404, "brand_not_found")
    assert_error(await client.get("/api/v1/brands/" + "x" * 200), 404, "brand_not_found")


async def test_a_query_naming_a_brand_lists_its_products_first(
    client: httpx.AsyncClient, database: Database
) -> None:
    brand = await create_brand(client, await operator_headers(database), name="赣南脐橙")
    supplier, branded, _ = await _orange_supplier(client, database)
    await client.patch(
        f"/api/v1/products/{branded}", json={"brand_id": brand["id"]}, headers=supplier.headers
    )
    # Newer, and titled with the brand's name, but not sold under it.
    other = await create_supplier(database, name="别处果园", county_code=SHANGYOU)
    lookalike = await create_product(
        client, other, title="赣南脐橙 特级大果", category="fruit", skus=[sku(price_fen=4900)]
    )
    await sync_search_index(database)

    found = (await client.get("/api/v1/products", params={"q": "赣南脐橙"})).json()

    ids = [item["id"] for item in found["items"]]
    assert ids[0] == branded
    assert lookalike["id"] in ids
    assert found["total"] == len(ids) == 2
    newest = (
        await client.get("/api/v1/products", params={"q": "赣南脐橙", "sort": "newest"})
    ).json()
    assert newest["items"][0]["id"] == lookalike["id"]


async def test_a_brand_page_counts_its_benefit_from_the_ledger(
    client: httpx.AsyncClient, database: Database
) -> None:
    brand = await create_brand(
        client, await operator_headers(database), required_certificate_kind=None
    )
    supplier, product_id, _ = await _orange_supplier(client, database, gi=False)
    await link_in_table(database, product_id, brand["id"])
    async with unit_of_work(database.reader) as session:
        sku_id = await session.scalar(select(Sku.id).where(Sku.product_id == product_id))
    assert sku_id is not None
    seller = Seller(supplier.id, ANYUAN, product_id, [sku_id])
    await paid_order(
        database,
        buyer_user_id=await create_user(database),
        lines=[Line(seller, 3, 5900)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 3, 1, tzinfo=UTC),
    )

    page = (await client.get(f"/api/v1/brands/{brand['slug']}")).json()

    assert page["benefit"]["amount_fen"] == 3 * 5900
    assert page["benefit"]["order_count"] == 1
    assert [s["name"] for s in page["suppliers"]] == [f"橙农合作社{ANYUAN}"]
    assert [p["id"] for p in page["products"]] == [product_id]
    html = (await client.get(f"/brands/{brand['slug']}")).text
    assert "¥177.00" in html and "赣州市果业协会" in html and "安远县" in html
    index = (await client.get("/brands")).text
    assert f'href="/brands/{brand["slug"]}"' in index
