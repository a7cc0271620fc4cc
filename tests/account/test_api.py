"""The account JSON API: registration, tokens and /me, with every error in the contract's form."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import httpx
import itsdangerous.timed
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.account import sessions
from app.account.models import Role, RoleAssignment, User
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from tests.account.factories import PASSWORD, bearer, create_user, issue_token, token_for
from tests.conftest import TEST_SECRET

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
ME = "/api/v1/me"


def _error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    error: dict[str, Any] = body["error"]
    return error


async def test_register_returns_the_user_and_the_token_reads_it_back(
    client: httpx.AsyncClient, database: Database
) -> None:
    response = await client.post(
        REGISTER,
        json={"email": " Li.Hua@Example.COM ", "password": PASSWORD, "display_name": "  李华 "},
    )

    assert response.status_code == 201, response.text
    user = response.json()
    assert user == {
        "id": user["id"],
        "email": "li.hua@example.com",
        "display_name": "李华",
        "roles": ["consumer"],
        "cooperative_ids": [],
        "organization_ids": [],
    }
    async with unit_of_work(database.reader) as session:
        stored = await session.get(User, user["id"])
        assert stored is not None
        assert stored.password_hash.startswith("$argon2")
        assert PASSWORD not in stored.password_hash

    token_response = await client.post(
        TOKEN, json={"email": "LI.HUA@example.com", "password": PASSWORD}
    )
    assert token_response.status_code == 200, token_response.text
    token = token_response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] > 0

    me = await client.get(ME, headers=bearer(token["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json() == user


async def test_token_sets_last_login_at(client: httpx.AsyncClient, database: Database) -> None:
    user_id = await create_user(database, email="buyer@example.com")

    await issue_token(client, "buyer@example.com")

    async with unit_of_work(database.reader) as session:
        user = await session.get(User, user_id)
        assert user is not None
        assert user.last_login_at is not None


@pytest.mark.parametrize("email", ["buyer@example.com", "BUYER@Example.com"])
async def test_a_taken_email_answers_409_in_any_case(
    client: httpx.AsyncClient, database: Database, email: str
) -> None:
    await create_user(database, email="buyer@example.com")

    response = await client.post(
        REGISTER, json={"email": email, "password": PASSWORD, "display_name": "另一个人"}
    )

    assert response.status_code == 409
    error = _error(response)
    assert error["code"] == "email_taken"
    assert "email" in error["fields"]
    async with unit_of_work(database.reader) as session:
        count = await session.scalar(select(func.count()).select_from(User))
    assert count == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "display_name": "甲"}, {"email"}),
        ({"email": "a@b", "password": PASSWORD, "display_name": "甲"}, {"email"}),
        ({"email": "a@example.com", "password": "short", "display_name": "甲"}, {"password"}),
        ({"email": "a@example.com", "password": "x" * 257, "display_name": "甲"}, {"password"}),
        ({"email": "a@example.com", "password": PASSWORD, "display_name": "   "}, {"display_name"}),
        (
            {"email": "a@example.com", "password": PASSWORD, "display_name": "名" * 101},
            {"display_name"},
        ),
        (
            {"email": "bad", "password": "short", "display_name": ""},
            {"email", "password", "display_name"},
        ),
        ({"email": "a@example.com", "password": PASSWORD}, {"display_name"}),
        ({"email": 12345, "password": PASSWORD, "display_name": "甲"}, {"email"}),
        ({"email": "a@example.com", "password": ["list"], "display_name": "甲"}, {"password"}),
    ],
    ids=[
        "no-at-sign",
        "no-domain-dot",
        "short-password",
        "long-password",
        "blank-name",
        "long-name",
        "everything-wrong",
        "missing-field",
        "number-for-email",
        "list-for-password",
    ],
)
async def test_invalid_registration_names_each_field(
    client: httpx.AsyncClient, database: Database, body: dict[str, Any], fields: set[str]
) -> None:
    response = await client.post(REGISTER, json=body)

    assert response.status_code == 422, response.text
    error = _error(response)
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == fields
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_boundary_lengths_are_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER, json={"email": "edge@example.com", "password": "x" * 8, "display_name": "名"}
    )
    assert response.status_code == 201, response.text


async def test_malformed_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER,
        content=b'{"email": "a@example.com",',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_json"


async def test_a_body_that_is_not_an_object_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=["a@example.com", PASSWORD])

    assert response.status_code == 422
    assert _error(response)["code"] == "validation_failed"


async def test_unknown_fields_are_ignored(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER,
        json={
            "email": "a@example.com",
            "password": PASSWORD,
            "display_name": "甲",
            "roles": ["operator"],
        },
    )

    assert response.status_code == 201
    assert response.json()["roles"] == ["consumer"]


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")

    wrong = await client.post(TOKEN, json={"email": "buyer@example.com", "password": "nope-nope"})
    unknown = await client.post(TOKEN, json={"email": "nobody@example.com", "password": PASSWORD})
    malformed = await client.post(TOKEN, json={"email": "not an email", "password": PASSWORD})

    for response in (wrong, unknown, malformed):
        assert response.status_code == 401, response.text
        assert _error(response)["code"] == "invalid_credentials"
        assert "access_token" not in response.text
    assert _error(wrong)["message"] == _error(unknown)["message"] == _error(malformed)["message"]


async def test_a_deactivated_user_can_neither_get_nor_use_a_token(
    client: httpx.AsyncClient, database: Database
) -> None:
    user_id = await create_user(database, email="buyer@example.com")
    token = await issue_token(client, "buyer@example.com")
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.is_active = False

    refused = await client.post(TOKEN, json={"email": "buyer@example.com", "password": PASSWORD})
    me = await client.get(ME, headers=bearer(token))

    assert refused.status_code == 401
    assert _error(refused)["code"] == "invalid_credentials"
    assert me.status_code == 401
    assert _error(me)["code"] == "unauthorized"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer eyJ1aWQiOjF9.x.y"],
    ids=["missing", "empty", "garbage", "basic-scheme", "forged"],
)
async def test_me_without_a_valid_token_is_401_with_a_challenge(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = await client.get(ME, headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert _error(response)["code"] == "unauthorized"


async def test_a_token_that_was_not_issued_is_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    user_id = await create_user(database)
    # A token in the right form that the server never stored, and one signed as tokens were
    # before they were stored (with this server's own key): neither is accepted.
    unknown = "fsk_" + secrets.token_urlsafe(32)
    signed = itsdangerous.URLSafeTimedSerializer(TEST_SECRET, salt="fengshou.api-token").dumps(
        {"uid": user_id}
    )

    for token in (unknown, signed, token_for(user_id)[:-1], "x" * 5000):
        response = await client.get(ME, headers=bearer(token))
        assert response.status_code == 401, token
    assert (await client.get(ME, headers=bearer(token_for(user_id)))).status_code == 200


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, database: Database, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create_user(database, email="buyer@example.com")
    token = await issue_token(client, "buyer@example.com")
    ttl: int = app.state.settings.access_token_ttl_seconds
    assert (await client.get(ME, headers=bearer(token))).status_code == 200

    later = utcnow() + timedelta(seconds=ttl + 60)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    response = await client.get(ME, headers=bearer(token))

    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"


async def test_me_lists_scopes_of_supplier_and_organisation_roles(
    client: httpx.AsyncClient, database: Database
) -> None:
    user_id = await create_user(database, email="coop@example.com")
    async with unit_of_work(database.writer) as session:
        for role, scope_id, scope_code in [
            (Role.SUPPLIER_ADMIN, 7, None),
            (Role.SUPPLIER_MEMBER, 7, None),
            (Role.SUPPLIER_MEMBER, 3, None),
            (Role.ORG_BUYER, 11, None),
            (Role.ORG_ADMIN, 11, None),
            (Role.REGIONAL_OFFICIAL, None, "630000"),
        ]:
            session.add(
                RoleAssignment(user_id=user_id, role=role, scope_id=scope_id, scope_code=scope_code)
            )
    token = await issue_token(client, "coop@example.com")

    me = (await client.get(ME, headers=bearer(token))).json()

    assert me["roles"] == [
        "consumer",
        "supplier_member",
        "supplier_admin",
        "org_buyer",
        "org_admin",
        "regional_official",
    ]
    assert me["cooperative_ids"] == [3, 7]
    assert me["organization_ids"] == [11]


async def test_openapi_documents_the_account_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()

    assert spec["paths"]["/api/v1/auth/register"]["post"]["responses"]["201"]
    assert "401" in spec["paths"]["/api/v1/me"]["get"]["responses"]
    assert spec["paths"]["/api/v1/me"]["get"]["security"]
