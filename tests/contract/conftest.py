"""The whole app against its contract: for the Schemathesis run, the app served by uvicorn on
127.0.0.1 per backend, on a database of its own seeded with the demo data (the run writes
whatever it generates, so never the shared test database)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.account.models import User
from app.config import Settings
from app.core.db import Database, unit_of_work
from app.core.storage import LocalMediaStorage
from app.demo import seed_demo_accounts, seed_demo_catalog, seed_demo_organizations
from app.main import create_app
from bench.serving import served
from tests.account.factories import token_headers
from tests.conftest import BACKENDS, database_of_its_own, make_settings, served_env

# Enough for every kind of record the demo makes (suppliers, certificates, products, SKUs,
# organisations with paid orders), few enough to seed in a second or two.
DEMO_PRODUCTS = 12
# Who calls the API in the run: the demo's logins by e-mail, and nobody.
IDENTITIES = {
    "anonymous": None,
    "consumer": "buyer@fengshou.demo",
    "supplier": "supplier@fengshou.demo",
    "operator": "operator@fengshou.demo",
}


@dataclass(frozen=True)
class FuzzTarget:
    """The served app's address and the bearer headers of each identity (none for anonymous)."""

    backend: str
    base_url: str
    headers: dict[str, dict[str, str]]


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document, as /openapi.json serves it (it depends on no data)."""
    with tempfile.TemporaryDirectory(prefix="fengshou-openapi-") as folder:
        application = create_app(make_settings("sqlite+aiosqlite:///:memory:", Path(folder)))
        document = application.openapi()
        asyncio.run(application.state.http.aclose())
    return document


async def _seed(settings: Settings) -> dict[str, int]:
    """Reference data and the demo; returns the demo users' ids by e-mail."""
    from app.regions.service import load_reference_data

    database = Database(settings.database_url)
    try:
        async with unit_of_work(database.writer) as session:
            await load_reference_data(session)
        await seed_demo_catalog(
            database, LocalMediaStorage(settings.media_dir), products=DEMO_PRODUCTS
        )
        await seed_demo_accounts(database)
        await seed_demo_organizations(database)
        async with unit_of_work(database.reader) as session:
            rows = (await session.execute(select(User.email, User.id))).all()
        return {email: user_id for email, user_id in rows}
    finally:
        await database.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def fuzz_target(request: pytest.FixtureRequest) -> Iterator[FuzzTarget]:
    """A migrated, seeded database of its own and the app served on it, per backend."""
    with database_of_its_own(request.param, "fengshou-fuzz-") as (settings, workdir):
        # In a thread of its own: asyncio.run() must not meet the event loop of the session.
        with ThreadPoolExecutor(max_workers=1) as worker:
            users = worker.submit(asyncio.run, _seed(settings)).result()
        headers = {
            name: token_headers(users[email]) if email else {} for name, email in IDENTITIES.items()
        }
        # No outbox worker: the run would have it post to the webhook URLs it makes up.
        env = {**served_env(settings), "FENGSHOU_WORKER_IN_PROCESS": "false"}
        with served("app.main:create_app", env, output=workdir / "server.log") as (base_url, _):
            yield FuzzTarget(request.param, base_url, headers)
