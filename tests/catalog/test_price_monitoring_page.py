"""The operator's price monitoring page: a reference price set in the form flags the products
priced far above it at once; bad input is refused with a message per field and stores nothing."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from app.catalog.models import Product, ReferencePrice
from app.core.db import Database, unit_of_work
from tests.account.factories import create_operator, create_user, csrf_token_in, sign_in_page
from tests.catalog.factories import create_seller

PASSWORD = "correct horse battery"


async def _reference_count(database: Database) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count()).select_from(ReferencePrice)) or 0)


async def test_a_reference_price_set_in_the_form_flags_the_dear_products(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    dear = await create_seller(database, price_fen=1000, title="高价蓝莓")
    await create_operator(database, email="ops@example.com", password=PASSWORD)
    assert (await sign_in_page(client, "ops@example.com", PASSWORD)).status_code == 303
    page = await client.get("/admin/reference-prices")
    assert page.status_code == 200
    token = csrf_token_in(page.text)

    refused = await client.post(
        "/admin/reference-prices",
        data={"csrf_token": token, "category": "fruit", "unit": "", "price": "abc", "ratio": "50"},
    )
    assert refused.status_code == 422
    assert "请填写参考价" in refused.text and "100 到 10000" in refused.text
    assert await _reference_count(database) == 0

    saved = await client.post(
        "/admin/reference-prices",
        data={
            "csrf_token": token,
            "category": "fruit",
            "unit": "500g/盒",
            "price": "5.00",
            "ratio": "150",
        },
    )

    assert saved.status_code == 303
    shown = await client.get(saved.headers["location"])
    assert "参考价已保存" in shown.text
    assert "高价蓝莓" in shown.text  # ¥10.00 is above 150 % of ¥5.00
    async with unit_of_work(database.reader) as session:
        product = await session.get(Product, dear.product_id)
        assert product is not None and product.price_flagged


async def test_an_unknown_category_is_refused_and_only_operators_see_the_page(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com", password=PASSWORD)
    assert (await sign_in_page(client, "buyer@example.com", PASSWORD)).status_code == 303
    assert (await client.get("/admin/reference-prices")).status_code == 403
    await create_operator(database, email="ops@example.com", password=PASSWORD)
    assert (await sign_in_page(client, "ops@example.com", PASSWORD)).status_code == 303
    token = csrf_token_in((await client.get("/admin/reference-prices")).text)

    refused = await client.post(
        "/admin/reference-prices",
        data={"csrf_token": token, "category": "nope", "unit": "1kg", "price": "5", "ratio": "150"},
    )

    assert refused.status_code == 422
    assert "请选择商品类目" in refused.text
    assert await _reference_count(database) == 0
