"""Fixtures of the impact tests: the ledger emptied after each test with its append-only guard
lifted (the shared clean-up does the same; doing it here first keeps these tests independent
of the order in which fixtures are torn down)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from app.core.db import Database, unit_of_work
from tests.impact.ledger_purge import purge_ledger


@pytest.fixture(autouse=True)
async def _impact(app: FastAPI) -> AsyncIterator[None]:
    yield
    database: Database = app.state.database
    async with unit_of_work(database.writer) as session:
        await purge_ledger(session)
