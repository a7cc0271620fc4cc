"""Fixtures of the proof tests: the ledger emptied after each test, its guard lifted (as the
impact tests do, so that these tests do not depend on the order of fixture tear-down)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from app.core.db import Database, unit_of_work
from tests.impact.ledger_purge import purge_ledger


@pytest.fixture(autouse=True)
async def _empty_ledger(app: FastAPI) -> AsyncIterator[None]:
    yield
    database: Database = app.state.database
    async with unit_of_work(database.writer) as session:
        await purge_ledger(session)
