"""Fixtures of the impact tests: the impact routes on the test app, and the ledger emptied after
each test with its append-only guard lifted (before the shared clean-up empties the rest)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from app.core.db import Database, unit_of_work
from app.impact.guard import purge_ledger
from tests.impact.factories import install_impact_routes


@pytest.fixture(autouse=True)
async def _impact(app: FastAPI) -> AsyncIterator[None]:
    install_impact_routes(app)
    yield
    database: Database = app.state.database
    async with unit_of_work(database.writer) as session:
        await purge_ledger(session)
