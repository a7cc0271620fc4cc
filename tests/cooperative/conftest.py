"""Fixtures of the supplier tests: tokens signed directly, without a password check each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from fastapi import FastAPI

from app.core.db import Database
from app.web.security import TokenSigner
from tests.account.factories import create_user

TokenFor = Callable[[str], Awaitable[str]]


@pytest.fixture
def token_for(app: FastAPI, database: Database) -> TokenFor:
    """`await token_for(email)`: a new consumer with this e-mail and a bearer token for them.

    The token is signed as POST /auth/token would sign it; the password check that endpoint
    makes (argon2, deliberately slow) is tested in the account domain."""
    signer: TokenSigner = app.state.token_signer

    async def make(email: str) -> str:
        user_id = await create_user(database, email=email, display_name=email.split("@")[0])
        return signer.issue(user_id)

    return make
