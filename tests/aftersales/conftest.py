"""Fixtures of the after-sales tests: the app pointed at localstripe (refunds by card)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from app.config import Settings
from tests.conftest import Backend, make_settings
from tests.payment.factories import install_payment_routes


@pytest.fixture
def settings(db_backend: Backend, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The shared test settings, with Stripe pointed at the (emptied) local fake."""
    overrides: dict[str, object] = request.getfixturevalue("stripe_settings")
    return make_settings(db_backend.url, tmp_path / "var", **overrides)


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    """The shared test app, with the routes and jobs these tests need."""
    install_payment_routes(app)
    return app
