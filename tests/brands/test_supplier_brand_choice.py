"""A supplier places a product under a regional brand from its product form: the form offers
the brands of its county's region; a brand whose certificate the product lacks is refused
beside the field and links nothing; "no brand" unlinks it."""

from __future__ import annotations

import httpx

from app.catalog.models import Product
from app.certification.models import CertificateStatus
from app.core.db import Database, unit_of_work
from tests.account.factories import PASSWORD, csrf_token_in, sign_in_page
from tests.brands.factories import ANYUAN, HUICHANG, SHANGYOU, create_brand, operator_headers
from tests.catalog.factories import create_product, sku
from tests.certification.factories import create_certificate
from tests.cooperative.factories import create_supplier


async def _brand_of(database: Database, product_id: int) -> int | None:
    async with unit_of_work(database.reader) as session:
        product = await session.get(Product, product_id)
        assert product is not None
        return product.brand_id


async def test_a_supplier_links_a_product_to_a_brand_of_its_region_in_the_form(
    client: httpx.AsyncClient, database: Database
) -> None:
    headers = await operator_headers(database)
    open_brand = await create_brand(
        client, headers, name="安远蜜橘", county_codes=[ANYUAN], required_certificate_kind=None
    )
    gi_brand = await create_brand(client, headers, county_codes=[ANYUAN, HUICHANG])
    elsewhere = await create_brand(
        client, headers, name="上犹绿茶", county_codes=[SHANGYOU], required_certificate_kind=None
    )
    supplier = await create_supplier(database, password=PASSWORD, county_code=ANYUAN)
    product = await create_product(client, supplier, status="draft", skus=[sku("BR-1")])
    assert (await sign_in_page(client, supplier.email)).status_code == 303
    base = f"/coop/{supplier.id}/products/{product['id']}"

    page = await client.get(f"{base}/edit")
    assert page.status_code == 200
    assert f'<option value="{open_brand["id"]}"' in page.text
    assert f'<option value="{gi_brand["id"]}"' in page.text
    assert f'<option value="{elsewhere["id"]}"' not in page.text  # not this county's region
    csrf = csrf_token_in(page.text)
    form = {
        "csrf_token": csrf,
        "title": product["title"],
        "category": product["category"]["code"],
        "unit": product["unit"],
        "description": "",
        "status": "draft",
        "food_licence_number": product.get("food_licence_number") or "",
    }

    refused = await client.post(f"{base}/edit", data={**form, "brand_id": str(gi_brand["id"])})
    assert refused.status_code == 422
    assert 'id="brand_id-error"' in refused.text and "认证证书" in refused.text
    assert await _brand_of(database, product["id"]) is None

    linked = await client.post(f"{base}/edit", data={**form, "brand_id": str(open_brand["id"])})
    assert linked.status_code == 303, linked.text
    assert await _brand_of(database, product["id"]) == open_brand["id"]
    shown = await client.get(f"{base}/edit")
    assert f'<option value="{open_brand["id"]}" selected>' in shown.text

    certificate = await create_certificate(database, supplier.id, status=CertificateStatus.VERIFIED)
    with_gi = await client.post(
        f"{base}/edit",
        data={**form, "brand_id": str(gi_brand["id"]), "certificate_ids": [str(certificate)]},
    )
    assert with_gi.status_code == 303, with_gi.text
    assert await _brand_of(database, product["id"]) == gi_brand["id"]

    unlinked = await client.post(f"{base}/edit", data={**form, "brand_id": ""})
    assert unlinked.status_code == 303
    assert await _brand_of(database, product["id"]) is None
    not_an_id = await client.post(f"{base}/edit", data={**form, "brand_id": "abc"})
    assert not_an_id.status_code == 422 and 'id="brand_id-error"' in not_an_id.text
