"""Fixtures of the catalog tests."""

from __future__ import annotations

import httpx
import pytest

from app.core.db import Database
from tests.cooperative.factories import Supplier, create_supplier


@pytest.fixture
async def supplier(client: httpx.AsyncClient, database: Database) -> Supplier:
    """A verified supplier with an admin member calling the API with a token."""
    return await create_supplier(database)
