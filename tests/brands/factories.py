"""Factories of the brand tests: an operator's headers, brand bodies and a brand made through
the API, and a product linked straight in the table."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from app.account.models import Role
from app.catalog.models import Product
from app.core.db import Database, unit_of_work
from tests.account.factories import create_user, token_headers

ANYUAN = "360726"  # 安远县, 江西: in the 832
HUICHANG = "360733"  # 会昌县
XUNWU = "360734"  # 寻乌县
SHANGYOU = "360724"  # 上犹县, 江西, outside the 赣南脐橙 region of these tests

_numbers = itertools.count(1)


async def operator_headers(database: Database) -> dict[str, str]:
    return token_headers(await create_user(database, roles=[(Role.OPERATOR, None, None)]))


def brand_body(**overrides: Any) -> dict[str, Any]:
    n = next(_numbers)
    body: dict[str, Any] = {
        "name": f"赣南脐橙{n}" if n > 1 else "赣南脐橙",
        "slug": f"gannan-navel-orange-{n}",
        "story": "赣南脐橙产自江西赣州。\n\n果大形正，橙红鲜艳。",
        "county_codes": [ANYUAN, HUICHANG, XUNWU],
        "owner": "赣州市果业协会",
        "required_certificate_kind": "gi",
    }
    body.update(overrides)
    return body


async def create_brand(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/admin/brands", json=brand_body(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def link_in_table(database: Database, product_id: int, brand_id: int | None) -> None:
    """Link a product to a brand without the API's checks (arranging data)."""
    async with unit_of_work(database.writer) as session:
        product = await session.get(Product, product_id)
        assert product is not None
        product.brand_id = brand_id
