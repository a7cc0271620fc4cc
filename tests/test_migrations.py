"""Migrations build the models' schema from empty, and tear it down again, on every backend."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from app.cli import alembic_config, upgrade_database
from app.core.db import Database
from migrations.models import TARGET_METADATA, include_search_object
from tests.conftest import BACKENDS, drop_postgres_database, make_settings, new_database_url


def _differences(url: str) -> list[object]:
    async def compare() -> list[object]:
        database = Database(url)
        try:
            async with database.engine.connect() as conn:

                def diff(sync_conn: Connection) -> list[object]:
                    context = MigrationContext.configure(
                        sync_conn,
                        opts={
                            "compare_type": True,
                            "render_as_batch": True,
                            "include_object": include_search_object,
                            "target_metadata": TARGET_METADATA,
                        },
                    )
                    return list(compare_metadata(context, TARGET_METADATA))  # type: ignore[arg-type]

                return await conn.run_sync(diff)
        finally:
            await database.dispose()

    return asyncio.run(compare())


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        database = Database(url)
        try:
            async with database.engine.connect() as conn:
                return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await database.dispose()

    return asyncio.run(read())


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_from_empty_match_models_and_downgrade_cleanly(
    backend: str, tmp_path: Path
) -> None:
    url, pg_name = new_database_url(backend, tmp_path)
    try:
        settings = make_settings(url, tmp_path / "var")
        upgrade_database(settings)
        assert _differences(url) == []
        assert {"users", "counties", "pairings", "jobs"} <= _tables(url)

        command.downgrade(alembic_config(url), "base")
        assert _tables(url) <= {"alembic_version"}

        upgrade_database(settings)  # and up again: downgrades leave nothing behind
        assert _differences(url) == []
    finally:
        if pg_name:
            drop_postgres_database(pg_name)
