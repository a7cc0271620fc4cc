"""Test fixtures: each backend (SQLite, PostgreSQL) gets a database built by the real migrations.

Every test that uses `db_backend` runs once per backend. PostgreSQL is required: a missing
server fails the run loudly, unless FENGSHOU_TEST_SKIP_POSTGRES=1 is set on a machine without
one (never in CI).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import Table, event, text
from sqlalchemy.orm import Session, SessionTransaction
from starlette.routing import Mount

from app.cli import upgrade_database
from app.config import Settings
from app.core.cache import Caches
from app.core.db import Database, unit_of_work
from app.core.storage import media_storage
from app.jobs.runner import JobRunner
from app.main import build_runner, create_app
from app.web.media import MediaFiles
from app.web.ratelimit import create_attempt_limiter
from app.wiring import build_mailer
from tests.db_template import copy_of_kept_database

# The local fake Stripe server's fixtures, for every test that pays.
pytest_plugins = ["tests.stripe_fixtures"]

POSTGRES_ADMIN_URL = os.environ.get(
    "FENGSHOU_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# Reference tables survive between tests; everything else is emptied after each test.
REFERENCE_TABLES = ("provinces", "prefectures", "counties", "categories", "alembic_version")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"

BACKENDS = ["sqlite", "postgresql"]
if os.environ.get("FENGSHOU_TEST_SKIP_POSTGRES") == "1" and not os.environ.get("CI"):
    BACKENDS = ["sqlite"]


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """argon2 at a low cost for the suite: hundreds of accounts are made, and hashing at
    production cost (tens of ms each) would dominate the run. It still differs from the
    cheapest parameters, so the rehash-on-login test keeps its meaning."""
    from argon2 import PasswordHasher

    from app.account import passwords

    saved = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("not-a-real-password")
    yield
    passwords._hasher, passwords._DUMMY_HASH = saved


@dataclass
class Backend:
    name: str
    url: str


def _create_postgres_database() -> tuple[str, str]:
    name = f"fengshou_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return name, f"{base}/{name}"


def drop_postgres_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def new_database_url(backend: str, tmp_dir: Path) -> tuple[str, str | None]:
    """A fresh, empty database: (url, postgres database name to drop afterwards)."""
    if backend == "sqlite":
        return _sqlite_url(tmp_dir / f"{uuid.uuid4().hex[:8]}.sqlite3"), None
    name, url = _create_postgres_database()
    return url, name


@contextlib.contextmanager
def database_of_its_own(backend: str, prefix: str) -> Iterator[tuple[Settings, Path]]:
    """A migrated database of its own (never the shared test database) and a work folder, for
    a served app: (its settings, the folder); both are removed when the block ends."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    url, pg_name = new_database_url(backend, workdir)
    settings = make_settings(url, workdir / "var")
    try:
        # In a thread of its own: the migrations run asyncio.run(), which must not meet an
        # event loop running in this thread (pytest-asyncio's, or Playwright's).
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(upgrade_database, settings).result()
        yield settings, workdir
    finally:
        if pg_name:
            drop_postgres_database(pg_name)
        shutil.rmtree(workdir, ignore_errors=True)


def served_env(settings: Settings) -> dict[str, str]:
    """The environment that serves an app on these settings (bench.serving)."""
    return {
        "FENGSHOU_ENVIRONMENT": "test",
        "FENGSHOU_SECRET_KEY": TEST_SECRET,
        "FENGSHOU_DATABASE_URL": settings.database_url,
        "FENGSHOU_VAR_DIR": str(settings.var_dir),
    }


def make_settings(url: str, var_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": url,
        "secret_key": TEST_SECRET,
        "var_dir": var_dir,
        "worker_in_process": False,
        "redis_url": None,
        "smtp_host": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _migrate_and_load(url: str) -> None:
    """Run the migrations on the empty database at `url`, then load the reference data."""
    upgrade_database(make_settings(url, Path(tempfile.gettempdir())))

    async def load() -> None:
        from app.regions.service import load_reference_data

        database = Database(url)
        try:
            async with unit_of_work(database.writer) as session:
                await load_reference_data(session)
        finally:
            await database.dispose()

    asyncio.run(load())


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """A migrated database with the reference data loaded, shared by the backend's tests
    (on SQLite a copy of the one kept for this code: tests/db_template.py)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        copy_of_kept_database(path, lambda fresh: _migrate_and_load(_sqlite_url(fresh)))
        yield Backend("sqlite", _sqlite_url(path))
        return
    url, pg_name = new_database_url(request.param, tmp_path_factory.mktemp("db"))
    _migrate_and_load(url)
    try:
        yield Backend(request.param, url)
    finally:
        if pg_name:
            drop_postgres_database(pg_name)


@pytest.fixture
def settings(db_backend: Backend, tmp_path: Path) -> Settings:
    return make_settings(db_backend.url, tmp_path / "var")


def _app_key(settings: Settings) -> str:
    """Settings that need an app of their own: all but the per-test folder (mail, media)."""
    values = settings.model_dump(mode="json", exclude={"var_dir"})
    return repr(sorted(values.items()))


@pytest.fixture(scope="session")
async def _apps() -> AsyncIterator[dict[str, FastAPI]]:
    """The apps built in this process, one per distinct settings: building one (some 600
    routes) costs more than most tests, so each test borrows one instead (see `app`)."""
    built: dict[str, FastAPI] = {}
    yield built
    for application in built.values():
        await application.state.caches.aclose()
        await application.state.http.aclose()
        await application.state.database.dispose()


def _lend(application: FastAPI, settings: Settings) -> None:
    """Point a borrowed app at this test's own folder, mail, media and sign-in limits."""
    state = application.state
    state.settings = settings
    state.mailer = build_mailer(settings)
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    state.media = media_storage(settings.media_dir)
    state.limits = create_attempt_limiter(settings.redis_url, prefix="fengshou:limits")
    for route in application.routes:
        if isinstance(route, Mount) and route.name == "media":
            route.app = MediaFiles(directory=settings.media_dir, check_dir=False)


@pytest.fixture
async def app(settings: Settings, _apps: dict[str, FastAPI]) -> AsyncIterator[FastAPI]:
    """An app for this test: built once per distinct settings and process, lent with this
    test's folder, and handed back as found: what the test set on `app.state`, in
    `dependency_overrides` or among the routes undone, caches emptied, every table but the
    reference data empty."""
    key = _app_key(settings)
    application = _apps.get(key)
    if application is None:
        application = _apps[key] = create_app(settings)
    _lend(application, settings)
    state: dict[str, Any] = application.state._state
    lent = dict(state)
    routes = list(application.router.routes)
    try:
        yield application
    finally:
        if application.router.routes != routes:
            # Routes a test added for itself go, and with them the OpenAPI document it made.
            application.router.routes[:] = routes
            application.openapi_schema = None
        await state["limits"].close()
        state.clear()
        state.update(lent)
        application.dependency_overrides.clear()
        caches: Caches = state["caches"]
        await caches.aclose()
        caches.clear()
        state["front_door"].clear()
        await _empty_non_reference_tables(state["database"])


def _tables_to_empty() -> list[Table]:
    """Every table a test may write, children before parents; the ledger apart (guarded)."""
    from migrations.models import Base
    from search.embedded.schema import metadata as search_metadata
    from tests.impact.ledger_purge import GUARD_TABLE, GUARDED_TABLES

    kept = {*REFERENCE_TABLES, *GUARDED_TABLES, GUARD_TABLE, "pairings", "pairing_areas"}
    tables = [table for table in reversed(Base.metadata.sorted_tables) if table.name not in kept]
    # The embedded search index (its own MetaData): the next test starts from an empty one.
    return tables + list(reversed(search_metadata.sorted_tables))


async def _empty_non_reference_tables(database: Database) -> None:
    from tests.impact.ledger_purge import GUARDED_TABLES, purge_ledger

    tables = _tables_to_empty()
    # One statement finds the few tables a test wrote; only those are emptied.
    probe = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})"  # noqa: S608 (table names)
        for name in (*(table.name for table in tables), *GUARDED_TABLES)
    )
    test_made_pairings = "SELECT id FROM pairings WHERE reference_key IS NULL"
    async with unit_of_work(database.writer) as session:
        written = set((await session.scalars(text(probe))).all())
        if written.intersection(GUARDED_TABLES):
            # The ledger is append-only: emptied first, with its guard lifted for this block.
            await purge_ledger(session)
        for table in tables:
            if table.name in written:
                await session.execute(table.delete())
        # Reference pairings stay; test-made ones go.
        if await session.scalar(text(f"SELECT EXISTS ({test_made_pairings})")):
            await session.execute(
                text(f"DELETE FROM pairing_areas WHERE pairing_id IN ({test_made_pairings})")  # noqa: S608
            )
            await session.execute(text("DELETE FROM pairings WHERE reference_key IS NULL"))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def database(app: FastAPI) -> Database:
    """The app's database. Arrange or inspect data in short `unit_of_work(database.writer)`
    blocks: a transaction held open across a request would block it on SQLite."""
    db: Database = app.state.database
    return db


@pytest.fixture
def runner(app: FastAPI) -> JobRunner:
    return build_runner(app, worker_id="test-runner")


@pytest.fixture
def transactions() -> Iterator[list[SessionTransaction]]:
    """Every transaction any session begins while the test runs (a commit of an unused
    session begins one too): what a request or a block cost the database layer."""
    begun: list[SessionTransaction] = []

    def record(_session: Session, transaction: SessionTransaction) -> None:
        begun.append(transaction)

    event.listen(Session, "after_transaction_create", record)
    yield begun
    event.remove(Session, "after_transaction_create", record)
