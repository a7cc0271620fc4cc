"""The cart tests' app: the shared one, with the shipping and cart routes mounted."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.inventory.factories import with_part_a_routes


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    return with_part_a_routes(app)
