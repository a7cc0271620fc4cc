"""Fixtures of the search suite: every backend, each filled once with the fixture catalogue.

Backends: the embedded index on SQLite and on PostgreSQL (a scratch database built by the
app's real migrations), and Meilisearch when FENGSHOU_TEST_MEILI_URL names a server.
Tests that write restore the catalogue before they end, so the read-only tests can share one
index per backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from app.cli import upgrade_database
from app.core.db import Database
from search import Analyzer, SearchBackend
from search.embedded.backend import EmbeddedBackend
from search.meili import MeiliBackend
from search.understanding import QueryParser
from tests.conftest import BACKENDS, drop_postgres_database, make_settings, new_database_url
from tests.search.catalogue import DOCUMENTS, LABEL_WORDS, place_names, places
from tests.sql_statements import recorded_statements

MEILI_URL = os.environ.get("FENGSHOU_TEST_MEILI_URL")
MEILI_SKIP_REASON = "FENGSHOU_TEST_MEILI_URL not set: no Meilisearch server on this machine"
EMBEDDED_BACKENDS = [f"embedded-{name}" for name in BACKENDS]
SEARCH_BACKENDS = [*EMBEDDED_BACKENDS, "meilisearch"]
# For tests of what only the embedded index offers (writing through the caller's session).
embedded_only = pytest.mark.parametrize("target", EMBEDDED_BACKENDS, indirect=True)


@dataclass
class Target:
    """Where a backend lives: a migrated database URL, or the Meilisearch server."""

    name: str
    url: str


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """The segmenter as the app sets it up: its place names added to the dictionary."""
    result = Analyzer()
    result.add_place_names(place_names())
    return result


@pytest.fixture(scope="session")
def parser(analyzer: Analyzer) -> QueryParser:
    """The query parser over the catalogue's places, as the app builds it over all of them."""
    return QueryParser(places(), LABEL_WORDS, analyzer=analyzer)


@pytest.fixture(scope="session", params=SEARCH_BACKENDS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    name: str = request.param
    if name == "meilisearch":
        if not MEILI_URL:
            pytest.skip(MEILI_SKIP_REASON)
        yield Target(name, MEILI_URL)
        return
    dialect = name.removeprefix("embedded-")
    url, pg_name = new_database_url(dialect, tmp_path_factory.mktemp("search-db"))
    # Migrations run synchronously (Alembic starts its own event loop): before any async fixture.
    upgrade_database(make_settings(url, tmp_path_factory.mktemp("search-var")))
    try:
        yield Target(name, url)
    finally:
        if pg_name:
            drop_postgres_database(pg_name)


@pytest.fixture(scope="session")
async def database(target: Target) -> AsyncIterator[Database | None]:
    """The app's Database object for an embedded target (None for Meilisearch)."""
    if target.name == "meilisearch":
        yield None
        return
    db = Database(target.url)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
async def backend(
    target: Target, database: Database | None, analyzer: Analyzer
) -> AsyncIterator[SearchBackend]:
    """A backend holding exactly the fixture catalogue."""
    result: SearchBackend
    if database is None:
        meili = MeiliBackend(
            target.url,
            os.environ.get("FENGSHOU_TEST_MEILI_API_KEY"),
            index_uid=f"fengshou_test_{uuid.uuid4().hex[:8]}",
            analyzer=analyzer,
        )
        result = meili
    else:
        result = EmbeddedBackend(database.writer, reader=database.reader, analyzer=analyzer)
    await result.ensure_ready()
    await result.clear()
    await result.index(DOCUMENTS)
    try:
        yield result
    finally:
        if isinstance(result, MeiliBackend):
            await result.drop_index()


@pytest.fixture
def embedded(backend: SearchBackend) -> EmbeddedBackend:
    """The backend of an `embedded_only` test."""
    assert isinstance(backend, EmbeddedBackend)
    return backend


@pytest.fixture
def statements(database: Database | None) -> Iterator[list[str]]:
    """The SQL of every statement an embedded backend runs meanwhile."""
    assert database is not None
    with recorded_statements(database) as seen:
        yield seen
