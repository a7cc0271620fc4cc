"""The role dependencies other domains build on: 401 signed out, 403 without the role."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel

from app.account.deps import require_page_role, require_role
from app.account.models import Role, User
from app.core.db import Database
from tests.account.factories import bearer, create_user, issue_token, sign_in_page

Operator = Annotated[User, Depends(require_role(Role.OPERATOR))]
PageOperator = Annotated[User, Depends(require_page_role(Role.OPERATOR))]


class Who(BaseModel):
    email: str


@pytest.fixture
def guarded_app(app: FastAPI) -> FastAPI:
    """The app with two operator-only routes, as a later domain would declare them."""
    router = APIRouter()

    @router.get("/api/v1/test-operator-only", response_model=Who, status_code=200)
    async def operator_only(user: Operator) -> Who:
        return Who(email=user.email)

    @router.get("/test-operator-page", response_model=Who, status_code=200)
    async def operator_page(user: PageOperator) -> Who:
        return Who(email=user.email)

    app.include_router(router)
    return app


async def test_require_role_admits_only_holders(
    guarded_app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")
    await create_user(database, email="ops@example.com", roles=(Role.OPERATOR,))
    buyer = await issue_token(client, "buyer@example.com")
    operator = await issue_token(client, "ops@example.com")

    anonymous = await client.get("/api/v1/test-operator-only")
    forbidden = await client.get("/api/v1/test-operator-only", headers=bearer(buyer))
    allowed = await client.get("/api/v1/test-operator-only", headers=bearer(operator))

    assert anonymous.status_code == 401
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "forbidden"
    assert allowed.status_code == 200
    assert allowed.json() == {"email": "ops@example.com"}


async def test_require_page_role_redirects_then_forbids(
    guarded_app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")

    signed_out = await client.get("/test-operator-page", params={"tab": "1"})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/login?next=%2Ftest-operator-page%3Ftab%3D1"

    await sign_in_page(client, "buyer@example.com")
    forbidden = await client.get("/test-operator-page")
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("text/html")
