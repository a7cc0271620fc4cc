"""Checkout reached straight from signing in sees the anonymous cart, merged by a dependency."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from app.cart import service
from app.cart.deps import ApiUserWithCart, PageUserWithCart
from app.core.db import Database, unit_of_work
from app.web.db import DbSession
from tests.account.factories import bearer, create_user, issue_token, sign_in_page
from tests.cart.factories import cart_rows
from tests.catalog.factories import create_sku
from tests.cooperative.factories import create_cooperative


@pytest.fixture
def probe(app: FastAPI) -> FastAPI:
    """Two routes standing in for checkout's page and API: what would they order?"""
    router = APIRouter()

    @router.get("/probe/checkout")
    async def page_probe(user: PageUserWithCart, session: DbSession) -> dict[str, Any]:
        return {"lines": await service.cart_items_for_checkout(session, user_id=user.id)}

    @router.get("/api/v1/probe/checkout")
    async def api_probe(user: ApiUserWithCart, session: DbSession) -> dict[str, Any]:
        return {"lines": await service.cart_items_for_checkout(session, user_id=user.id)}

    app.include_router(router)
    return app


async def test_a_page_sees_the_cart_filled_before_signing_in(
    probe: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=10)
    user_id = await create_user(database, email="buyer@example.com")
    added = await client.post("/api/v1/cart/items", json={"sku_id": sku.id, "quantity": 3})
    assert added.status_code == 200

    await sign_in_page(client, "buyer@example.com")
    response = await client.get("/probe/checkout")

    assert response.status_code == 200, response.text
    assert response.json() == {"lines": [[sku.id, 3]]}
    assert await cart_rows(database) == [(user_id, False, sku.id, 3)]
    # Nothing is merged twice: the anonymous cart is gone, the stale cookie names nothing.
    again = await client.get("/probe/checkout")
    assert again.json() == {"lines": [[sku.id, 3]]}


async def test_signed_out_the_page_dependency_sends_to_login(
    probe: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    response = await client.get("/probe/checkout")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_the_api_dependency_merges_for_a_bearer_user(
    probe: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=10)
    await create_user(database, email="buyer@example.com")
    await client.post("/api/v1/cart/items", json={"sku_id": sku.id, "quantity": 2})
    headers = bearer(await issue_token(client, "buyer@example.com"))

    response = await client.get("/api/v1/probe/checkout", headers=headers)

    assert response.json() == {"lines": [[sku.id, 2]]}
    assert (await client.get("/api/v1/probe/checkout")).status_code == 401


async def test_merge_anonymous_cart_ignores_missing_and_junk_tokens(database: Database) -> None:
    user_id = await create_user(database, email="buyer@example.com")
    async with unit_of_work(database.writer) as session:
        for token in (None, "", "x" * 500, "no such cart", "A" * 43):
            assert (
                await service.merge_anonymous_cart(session, user_id=user_id, token=token) is False
            )
    assert await cart_rows(database) == []
