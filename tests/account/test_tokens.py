"""API tokens: each sign-in through the API is a token the user can list and revoke, on the
API and on the account page, and that stops working at once when revoked."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.core.db import Database
from tests.account.factories import (
    FACTORY_TOKEN_NAME,
    PASSWORD,
    bearer,
    create_user,
    csrf_token_in,
    sign_in_page,
    token_for,
)
from tests.http_assertions import assert_error

TOKEN = "/api/v1/auth/token"
TOKENS = "/api/v1/me/tokens"
ME = "/api/v1/me"


async def _issue(client: httpx.AsyncClient, email: str, name: str | None = None) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD} | ({"name": name} if name else {})
    response = await client.post(TOKEN, json=body)
    assert response.status_code == 200, response.text
    issued: dict[str, str] = response.json()
    return issued


async def _works(client: httpx.AsyncClient, token: str) -> bool:
    return (await client.get(ME, headers=bearer(token))).status_code == 200


async def test_the_user_lists_their_tokens_without_secrets(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")
    erp = await _issue(client, "buyer@example.com", name="  ERP 对接 ")
    script = await _issue(client, "buyer@example.com")

    response = await client.get(TOKENS, headers=bearer(erp["access_token"]))

    assert response.status_code == 200
    listed = response.json()
    assert [(t["id"], t["name"], t["current"]) for t in listed] == [
        (script["token_id"], None, False),
        (erp["token_id"], "ERP 对接", True),
        (listed[2]["id"], FACTORY_TOKEN_NAME, False),
    ]
    assert set(listed[0]) == {"id", "name", "created_at", "expires_at", "current"}
    assert listed[0]["expires_at"] > listed[0]["created_at"]
    assert erp["access_token"] not in response.text
    assert script["access_token"] not in response.text


async def test_a_revoked_token_stops_working_at_once(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")
    keeper = await _issue(client, "buyer@example.com")
    leaked = await _issue(client, "buyer@example.com", name="leaked")

    response = await client.delete(
        f"{TOKENS}/{leaked['token_id']}", headers=bearer(keeper["access_token"])
    )

    assert response.status_code == 204
    assert not await _works(client, leaked["access_token"])
    assert await _works(client, keeper["access_token"])
    listed = (await client.get(TOKENS, headers=bearer(keeper["access_token"]))).json()
    assert leaked["token_id"] not in [t["id"] for t in listed]
    again = await client.delete(
        f"{TOKENS}/{leaked['token_id']}", headers=bearer(keeper["access_token"])
    )
    assert_error(again, 404, "token_not_found")


async def test_nobody_lists_or_revokes_another_users_tokens(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await create_user(database, email="owner@example.com")
    stranger = await create_user(database, email="stranger@example.com")
    owned = await _issue(client, "owner@example.com")

    response = await client.delete(
        f"{TOKENS}/{owned['token_id']}", headers=bearer(token_for(stranger))
    )

    assert_error(response, 404, "token_not_found")
    assert await _works(client, owned["access_token"])
    theirs = (await client.get(TOKENS, headers=bearer(token_for(stranger)))).json()
    assert [t["name"] for t in theirs] == [FACTORY_TOKEN_NAME]
    assert await _works(client, token_for(owner))


@pytest.mark.parametrize("token_id", ["0", "-1", "abc", "99999999999999999999999"])
async def test_a_malformed_token_id_is_422(
    client: httpx.AsyncClient, database: Database, token_id: str
) -> None:
    user_id = await create_user(database, password=None)

    response = await client.delete(f"{TOKENS}/{token_id}", headers=bearer(token_for(user_id)))

    assert_error(response, 422, "validation_failed")
    assert await _works(client, token_for(user_id))


async def test_token_routes_need_a_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(TOKENS), 401, "unauthorized")
    assert_error(await client.delete(f"{TOKENS}/1"), 401, "unauthorized")
    assert_error(await client.post("/api/v1/auth/logout"), 401, "unauthorized")


async def test_logout_on_the_api_revokes_only_its_own_token(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")
    first = await _issue(client, "buyer@example.com")
    second = await _issue(client, "buyer@example.com")

    response = await client.post("/api/v1/auth/logout", headers=bearer(first["access_token"]))

    assert response.status_code == 204
    assert not await _works(client, first["access_token"])
    assert await _works(client, second["access_token"])


async def test_a_token_name_longer_than_100_characters_is_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")

    response = await client.post(
        TOKEN, json={"email": "buyer@example.com", "password": PASSWORD, "name": "名" * 101}
    )

    assert "name" in assert_error(response, 422, "validation_failed")["fields"]


async def test_the_account_page_lists_the_tokens_and_revokes_one(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")
    erp = await _issue(client, "buyer@example.com", name="ERP 对接")
    other = await _issue(client, "buyer@example.com", name="<b>脚本</b>")
    await sign_in_page(client, "buyer@example.com")

    page = await client.get("/account")
    assert page.status_code == 200
    assert "ERP 对接" in page.text
    assert "&lt;b&gt;脚本&lt;/b&gt;" in page.text  # a name is text, never markup
    assert erp["access_token"] not in page.text
    revoke = f"/account/tokens/{erp['token_id']}/revoke"
    assert f'action="{revoke}"' in page.text

    forged = await client.post(revoke, data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert await _works(client, erp["access_token"])

    done = await client.post(revoke, data={"csrf_token": csrf_token_in(page.text)})

    assert done.status_code == 303
    assert done.headers["location"] == "/account?done=token_revoked#tokens"
    assert not await _works(client, erp["access_token"])
    assert await _works(client, other["access_token"])
    after = await client.get("/account?done=token_revoked")
    assert "ERP 对接" not in after.text
    assert "API 令牌已撤销" in after.text


async def test_the_account_page_cannot_revoke_another_users_token(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    owner = await create_user(database, email="owner@example.com")
    await create_user(database, email="stranger@example.com")
    owned = await _issue(client, "owner@example.com")
    await sign_in_page(client, "stranger@example.com")
    csrf = csrf_token_in((await client.get("/account")).text)

    for token_id in (str(owned["token_id"]), "0", "abc"):
        response = await client.post(
            f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}
        )
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
    assert await _works(client, owned["access_token"])
    assert await _works(client, token_for(owner))
