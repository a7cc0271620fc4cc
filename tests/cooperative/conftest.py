"""Fixtures of the supplier tests: users with their factory token, without a password check each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from fastapi import FastAPI

from app.core.db import Database
from tests.account.factories import create_user
from tests.account.factories import token_for as factory_token

TokenFor = Callable[[str], Awaitable[str]]


@pytest.fixture
def token_for(app: FastAPI, database: Database) -> TokenFor:
    """`await token_for(email)`: a new consumer with this e-mail and a bearer token for them.

    The token is the one create_user gives every user; the password check POST /auth/token
    makes (argon2, deliberately slow) is tested in the account domain."""

    async def make(email: str) -> str:
        user_id = await create_user(database, email=email, display_name=email.split("@")[0])
        return factory_token(user_id)

    return make
