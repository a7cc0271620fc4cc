"""Fixtures of these tests: the order and checkout routes on the test app."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.order.factories import install_routes


@pytest.fixture(autouse=True)
def _routes(app: FastAPI) -> None:
    install_routes(app)
