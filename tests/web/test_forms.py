"""Every HTML form route checks its CSRF token first, once the visitor is known to be allowed."""

from __future__ import annotations

import httpx
import pytest

from app.core.db import Database
from tests.account.factories import create_user, sign_in_page

# One form route of each pages module, with paths whose ids name nothing.
FORM_ROUTES = [
    "/coop/1/products/new",
    "/coop/1/products/1/edit",
    "/coop/1/products/1/skus",
    "/coop/1/products/1/skus/1",
    "/coop/1/products/1/photos",
    "/coop/1/products/1/photos/1/delete",
    "/coop/1/certificates",
    "/coop/1/members",
    "/coop/1/shipping",
    "/coop/1/fulfillments/1/accept",
    "/coop/1/webhook",
    "/checkout",
    "/orders/1/cancel",
]


@pytest.mark.parametrize("path", FORM_ROUTES)
async def test_a_signed_out_visitor_is_sent_to_sign_in_before_the_token_is_checked(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.post(path, data={"title": "x"})

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", [*FORM_ROUTES, "/coop/x/products/y/edit", "/cart/add", "/logout"])
async def test_a_form_without_the_sessions_token_is_refused_before_anything_else(
    client: httpx.AsyncClient, database: Database, path: str
) -> None:
    await create_user(database, email="buyer@example.com")
    await sign_in_page(client, "buyer@example.com")

    # Even a path that names nothing (a 404 once the token is right) is refused first.
    response = await client.post(path, data={"csrf_token": "forged"})

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "不是从本站页面提交的" in response.text
