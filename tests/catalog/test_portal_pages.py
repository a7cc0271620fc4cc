"""The supplier portal's product pages: access, rendering and form round trips."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog import repository as catalog_repository
from app.catalog.models import Product, Sku
from app.certification.models import CertificateStatus
from app.config import Settings
from app.cooperative.models import SupplierStatus
from app.core.db import Database, unit_of_work
from app.inventory.models import MovementReason, StockMovement
from app.jobs.runner import JobRunner
from tests.account.factories import PASSWORD, csrf_token_in, sign_in_page
from tests.catalog.factories import (
    CatalogCounts,
    catalog_counts,
    create_product,
    png_bytes,
    sku,
    upload_photo,
)
from tests.certification.factories import create_certificate
from tests.cooperative.factories import Supplier, create_supplier

NOTHING = CatalogCounts(0, 0, 0, 0, 0)


async def _signed_in(client: httpx.AsyncClient, database: Database, **kwargs: Any) -> Supplier:
    supplier = await create_supplier(database, password=PASSWORD, **kwargs)
    response = await sign_in_page(client, supplier.email)
    assert response.status_code == 303, response.text
    return supplier


@pytest.fixture
async def supplier(client: httpx.AsyncClient, database: Database) -> Supplier:
    return await _signed_in(client, database)


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return csrf_token_in(response.text)


def _new_form(csrf: str, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf_token": csrf,
        "title": "赣南脐橙",
        "category": "fruit",
        "unit": "5kg/箱",
        "description": "果园直发\n\n甜度高",
        "status": "draft",
        "season_months": ["11", "12"],
        "sku_code": "gnqc-5kg",
        "sku_name": "5kg 礼盒",
        "sku_price": "39.80",
        "sku_stock": "120",
        "sku_weight": "5500",
        "sku_min_qty": "1",
        "tier_min_qty": ["10", "", "50"],
        "tier_price": ["36.00", "", "32.5"],
    }
    form.update(overrides)
    return form


async def _stored_products(database: Database) -> list[Product]:
    async with unit_of_work(database.reader) as session:
        result = await session.scalars(
            select(Product)
            .options(selectinload(Product.skus).selectinload(Sku.price_tiers))
            .order_by(Product.id)
        )
        return list(result)


# ---------------------------------------------------------------------------------------------
# Access


@pytest.mark.parametrize("path", ["/products", "/products/new", "/products/1/edit"])
async def test_signed_out_visitors_are_sent_to_login(
    client: httpx.AsyncClient, database: Database, path: str
) -> None:
    other = await create_supplier(database)
    response = await client.get(f"/coop/{other.id}{path}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_other_suppliers_pages_are_404(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    other = await create_supplier(database, name="别家合作社")
    theirs = await create_product(client, other)
    mine = await create_product(client, supplier)
    csrf = await _csrf(client, f"/coop/{supplier.id}/products")
    before = await catalog_counts(database)

    for path in (
        f"/coop/{other.id}/products",
        f"/coop/{other.id}/products/new",
        f"/coop/{other.id}/products/{theirs['id']}/edit",
        # Someone else's product under one's own supplier's URL, and the reverse.
        f"/coop/{supplier.id}/products/{theirs['id']}/edit",
        f"/coop/{other.id}/products/{mine['id']}/edit",
        "/coop/abc/products",
        f"/coop/{supplier.id}/products/0/edit",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")

    posts = [
        (f"/coop/{other.id}/products/new", _new_form(csrf, sku_code="STEAL-1")),
        (f"/coop/{other.id}/products/{theirs['id']}/edit", {"csrf_token": csrf, "title": "改"}),
        (f"/coop/{supplier.id}/products/{theirs['id']}/skus", _new_form(csrf, sku_code="X-1")),
        (
            f"/coop/{supplier.id}/products/{mine['id']}/skus/{theirs['skus'][0]['id']}",
            {"csrf_token": csrf, "price": "1.00"},
        ),
    ]
    for path, form in posts:
        response = await client.post(path, data=form)
        assert response.status_code == 404, (path, response.text)
    assert await catalog_counts(database) == before
    [stored_theirs] = [p for p in await _stored_products(database) if p.id == theirs["id"]]
    assert stored_theirs.title == "融水香糯"
    assert stored_theirs.skus[0].price_fen == 3980


# ---------------------------------------------------------------------------------------------
# The list


async def test_product_list_shows_status_prices_stock_and_flags(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    listed = await create_product(
        client,
        supplier,
        title="融水香糯",
        skus=[sku(price_fen=3980, stock=5), sku(price_fen=12000, stock=0)],
    )
    await create_product(client, supplier, title="紫米草稿", status="draft", skus=[])
    await client.post(
        f"/api/v1/products/{listed['id']}/photos",
        files={"file": ("a.png", png_bytes(), "image/png")},
        headers=supplier.headers,
    )

    response = await client.get(f"/coop/{supplier.id}/products")

    assert response.status_code == 200
    html = response.text
    assert "融水香糯" in html and "紫米草稿" in html
    assert "¥39.80 – ¥120.00" in html
    assert "在售" in html and "草稿" in html
    assert f'href="/coop/{supplier.id}/products/{listed["id"]}/edit"' in html
    assert re.search(rf'<img src="/media/products/{listed["id"]}/[0-9a-f]+-thumb\.jpg"', html)
    assert f'href="/coop/{supplier.id}/products/new"' in html


# ---------------------------------------------------------------------------------------------
# New product


async def test_new_product_form_renders(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    certificate_id = await create_certificate(
        database, supplier.id, status=CertificateStatus.VERIFIED
    )

    response = await client.get(f"/coop/{supplier.id}/products/new")

    assert response.status_code == 200
    html = response.text
    assert len(csrf_token_in(html)) >= 32
    assert '<option value="fruit">水果</option>' in html
    assert f'name="certificate_ids" value="{certificate_id}"' in html
    assert 'name="season_months" value="12"' in html
    assert html.count('name="tier_min_qty"') == 3


async def test_form_round_trip_creates_a_product(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    certificate_id = await create_certificate(
        database, supplier.id, status=CertificateStatus.VERIFIED
    )
    csrf = await _csrf(client, f"/coop/{supplier.id}/products/new")

    response = await client.post(
        f"/coop/{supplier.id}/products/new",
        data=_new_form(csrf, certificate_ids=[str(certificate_id)]),
    )

    assert response.status_code == 303, response.text
    [product] = await _stored_products(database)
    assert response.headers["location"] == (
        f"/coop/{supplier.id}/products/{product.id}/edit?saved=created"
    )
    assert (product.title, product.category_code, product.unit) == ("赣南脐橙", "fruit", "5kg/箱")
    assert product.status == "draft"  # published from the editor, once it has a photo
    assert product.season_months == "11,12"
    assert product.description_html == "<p>果园直发</p><p>甜度高</p>"
    [variant] = product.skus
    assert (variant.code, variant.price_fen, variant.stock, variant.weight_grams) == (
        "GNQC-5KG",
        3980,
        120,
        5500,
    )
    # The empty middle row is skipped; yuan become fen exactly.
    assert [(t.min_qty, t.price_fen) for t in variant.price_tiers] == [(10, 3600), (50, 3250)]

    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert "商品已保存为草稿" in page.text
    assert 'value="39.80"' in page.text  # the quick-edit price, in yuan


@pytest.mark.parametrize(
    ("overrides", "field", "kept"),
    [
        ({"sku_price": "12.345"}, "sku_price", 'value="12.345"'),
        ({"sku_price": "-1"}, "sku_price", 'value="-1"'),
        ({"sku_price": "abc"}, "sku_price", 'value="abc"'),
        ({"sku_price": "0"}, "sku_price", 'value="0"'),
        ({"sku_price": "99999999"}, "sku_price", 'value="99999999"'),
        ({"sku_stock": "-5"}, "sku_stock", 'value="-5"'),
        ({"sku_stock": "1.5"}, "sku_stock", 'value="1.5"'),
        ({"sku_min_qty": "0"}, "sku_min_qty", 'value="0"'),
        ({"sku_code": "坏 编码"}, "sku_code", 'value="坏 编码"'),
        ({"title": "橙"}, "title", 'value="橙"'),
        ({"unit": ""}, "unit", 'name="unit"'),
        ({"category": "spaceships"}, "category", 'value="赣南脐橙"'),
        ({"tier_min_qty": ["10", "5"], "tier_price": ["36", "30"]}, "tier_min_qty-1", 'value="5"'),
        ({"tier_min_qty": ["10"], "tier_price": ["45"]}, "tier_price-0", 'value="45"'),
        ({"tier_min_qty": ["x"], "tier_price": ["30"]}, "tier_min_qty-0", 'value="x"'),
        ({"season_months": ["13"]}, "season_months", 'value="赣南脐橙"'),
        ({"status": "active", "sku_code": "", "sku_name": "", "sku_price": ""}, "sku_code", ""),
    ],
)
async def test_bad_form_input_comes_back_with_errors_and_values(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    overrides: dict[str, Any],
    field: str,
    kept: str,
) -> None:
    csrf = await _csrf(client, f"/coop/{supplier.id}/products/new")

    response = await client.post(
        f"/coop/{supplier.id}/products/new", data=_new_form(csrf, **overrides)
    )

    assert response.status_code == 422, response.text
    html = response.text
    assert f'id="{field}-error"' in html, html
    assert 'class="form-error"' in html
    assert kept in html
    assert 'value="gnqc-5kg"' in html or overrides.get("sku_code") is not None
    assert await catalog_counts(database) == NOTHING


async def test_taken_sku_code_is_409_on_the_form(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    other = await create_supplier(database, name="别家合作社")
    await create_product(client, other, skus=[sku("GNQC-5KG")])
    before = await catalog_counts(database)
    csrf = await _csrf(client, f"/coop/{supplier.id}/products/new")

    response = await client.post(f"/coop/{supplier.id}/products/new", data=_new_form(csrf))

    assert response.status_code == 409
    assert 'id="sku_code-error"' in response.text
    assert "该规格编码已被使用" in response.text
    assert await catalog_counts(database) == before


async def test_unverified_supplier_cannot_publish_from_the_form(
    client: httpx.AsyncClient, database: Database
) -> None:
    pending = await _signed_in(client, database, status=SupplierStatus.PENDING)
    csrf = await _csrf(client, f"/coop/{pending.id}/products/new")

    response = await client.post(
        f"/coop/{pending.id}/products/new", data=_new_form(csrf, status="active")
    )

    assert response.status_code == 409
    assert "供应商通过平台核验后才能上架商品" in response.text
    assert await catalog_counts(database) == NOTHING
    draft = await client.post(
        f"/coop/{pending.id}/products/new", data=_new_form(csrf, status="draft")
    )
    assert draft.status_code == 303


@pytest.mark.parametrize("token", [None, "", "wrong"])
async def test_forms_without_the_csrf_token_are_403(
    client: httpx.AsyncClient, database: Database, supplier: Supplier, token: str | None
) -> None:
    await _csrf(client, f"/coop/{supplier.id}/products/new")
    form = _new_form("x")
    if token is None:
        del form["csrf_token"]
    else:
        form["csrf_token"] = token

    response = await client.post(f"/coop/{supplier.id}/products/new", data=form)

    assert response.status_code == 403
    assert await catalog_counts(database) == NOTHING


# ---------------------------------------------------------------------------------------------
# Edit page


async def test_edit_page_round_trips(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    supplier: Supplier,
    runner: JobRunner,
) -> None:
    product = await create_product(
        client, supplier, status="draft", skus=[sku("EDIT-1", price_fen=5000, stock=3)]
    )
    await upload_photo(client, supplier, product["id"])
    base = f"/coop/{supplier.id}/products/{product['id']}"
    page = await client.get(f"{base}/edit")
    assert page.status_code == 200
    assert 'value="融水香糯"' in page.text
    assert 'value="50.00"' in page.text
    csrf = csrf_token_in(page.text)

    saved = await client.post(
        f"{base}/edit",
        data={
            "csrf_token": csrf,
            "title": "融水香糯（新米）",
            "category": "grain_oil",
            "unit": "10kg/袋",
            "description": "<p>新米<script>x()</script></p>",
            "status": "active",
            "season_months": ["9"],
            "food_licence_number": "SC10145012300016",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{base}/edit?saved=product"

    sku_id = product["skus"][0]["id"]
    quick = await client.post(
        f"{base}/skus/{sku_id}", data={"csrf_token": csrf, "price": "45.5", "stock": "7"}
    )
    assert quick.status_code == 303
    async with unit_of_work(database.reader) as session:
        logged = await session.scalars(select(StockMovement).where(StockMovement.sku_id == sku_id))
        assert [(m.delta, m.reason) for m in logged] == [(4, MovementReason.RESTOCKED)]  # 3 → 7

    added = await client.post(
        f"{base}/skus",
        data={
            "csrf_token": csrf,
            "sku_code": "EDIT-2",
            "sku_name": "2.5kg 袋装",
            "sku_price": "25",
            "sku_stock": "0",
            "sku_weight": "2500",
            "sku_min_qty": "2",
            "tier_min_qty": ["20", ""],
            "tier_price": ["22.00", ""],
        },
    )
    assert added.status_code == 303

    upload = await client.post(
        f"{base}/photos",
        data={"csrf_token": csrf},
        files={"file": ("p.png", png_bytes(800, 600), "image/png")},
    )
    assert upload.status_code == 303

    [stored] = await _stored_products(database)
    assert (stored.title, stored.unit, stored.status) == ("融水香糯（新米）", "10kg/袋", "active")
    assert stored.description_html == "<p>新米</p>"
    assert stored.season_months == "9"
    first, second = stored.skus
    assert (first.price_fen, first.stock) == (4550, 7)
    assert (second.code, second.price_fen, second.min_qty) == ("EDIT-2", 2500, 2)
    assert [(t.min_qty, t.price_fen) for t in second.price_tiers] == [(20, 2200)]
    assert (stored.min_price_fen, stored.in_stock) == (2500, True)
    assert (await catalog_counts(database)).photos == 2  # the one it was published with, too
    photos_on_disk = [p for p in settings.media_dir.rglob("*.jpg")]
    assert len(photos_on_disk) == 4

    page = await client.get(f"{base}/edit")
    photo_ids = re.findall(rf'action="{base}/photos/(\d+)/delete"', page.text)
    assert len(photo_ids) == 2
    deleted = await client.post(f"{base}/photos/{photo_ids[0]}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303
    assert (await catalog_counts(database)).photos == 1
    # The files go by the outbox, once the deletion has committed.
    assert len(list(settings.media_dir.rglob("*.jpg"))) == 4
    # The listed product's last photo stays: the page says why.
    last = await client.post(f"{base}/photos/{photo_ids[1]}/delete", data={"csrf_token": csrf})
    assert last.status_code == 409
    assert "在售商品至少保留一张图片" in last.text
    assert (await catalog_counts(database)).photos == 1
    await runner.run_until_idle()
    remaining = list(settings.media_dir.rglob("*.jpg"))
    assert len(remaining) == 2  # the kept photo and its thumbnail


async def test_edit_page_errors_keep_what_was_typed(
    client: httpx.AsyncClient, database: Database, settings: Settings, supplier: Supplier
) -> None:
    product = await create_product(
        client,
        supplier,
        status="draft",
        skus=[
            sku("KEEP-1", price_fen=5000, stock=3, price_tiers=[{"min_qty": 10, "price_fen": 4500}])
        ],
    )
    base = f"/coop/{supplier.id}/products/{product['id']}"
    csrf = await _csrf(client, f"{base}/edit")
    sku_id = product["skus"][0]["id"]
    before = await catalog_counts(database)

    bad_title = await client.post(
        f"{base}/edit",
        data={"csrf_token": csrf, "title": "x", "category": "grain_oil", "unit": "袋"},
    )
    assert bad_title.status_code == 422
    assert 'id="title-error"' in bad_title.text and 'value="x"' in bad_title.text

    below_tier = await client.post(
        f"{base}/skus/{sku_id}", data={"csrf_token": csrf, "price": "44.00", "stock": "3"}
    )
    assert below_tier.status_code == 422
    assert 'id="price-error"' in below_tier.text and 'value="44.00"' in below_tier.text

    bad_stock = await client.post(
        f"{base}/skus/{sku_id}", data={"csrf_token": csrf, "price": "50", "stock": "-2"}
    )
    assert bad_stock.status_code == 422
    assert 'id="stock-error"' in bad_stock.text

    taken = await client.post(
        f"{base}/skus",
        data={"csrf_token": csrf, "sku_code": "keep-1", "sku_name": "重复", "sku_price": "10"},
    )
    assert taken.status_code == 409
    assert 'id="sku_code-error"' in taken.text and 'value="keep-1"' in taken.text

    bad_photo = await client.post(
        f"{base}/photos",
        data={"csrf_token": csrf},
        files={"file": ("notes.txt", b"not an image", "text/plain")},
    )
    assert bad_photo.status_code == 422
    assert 'id="file-error"' in bad_photo.text
    assert "只接受 JPEG、PNG 或 WebP 图片" in bad_photo.text

    assert await catalog_counts(database) == before
    [stored] = await _stored_products(database)
    assert stored.title == "融水香糯"
    assert (stored.skus[0].price_fen, stored.skus[0].stock) == (5000, 3)
    assert list(settings.media_dir.rglob("*")) == [] or all(
        p.is_dir() for p in settings.media_dir.rglob("*")
    )


async def test_archiving_from_the_edit_page_unlists_the_product(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(client, supplier)
    base = f"/coop/{supplier.id}/products/{product['id']}"
    csrf = await _csrf(client, f"{base}/edit")

    response = await client.post(
        f"{base}/edit",
        data={
            "csrf_token": csrf,
            "title": "融水香糯",
            "category": "grain_oil",
            "unit": "5kg/袋",
            "status": "archived",
        },
    )

    assert response.status_code == 303
    assert (await client.get(f"/api/v1/products/{product['id']}")).status_code == 404


async def test_a_code_taken_at_insert_time_re_renders_the_form(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await create_product(client, supplier, skus=[sku("GNQC-5KG")])
    before = await catalog_counts(database)
    csrf = await _csrf(client, f"/coop/{supplier.id}/products/new")

    async def nothing_taken(_session: Any, _codes: Any) -> set[str]:
        return set()

    monkeypatch.setattr(catalog_repository, "taken_sku_codes", nothing_taken)
    response = await client.post(f"/coop/{supplier.id}/products/new", data=_new_form(csrf))

    assert response.status_code == 409, response.text
    assert 'id="sku_code-error"' in response.text
    assert 'value="赣南脐橙"' in response.text
    assert await catalog_counts(database) == before
