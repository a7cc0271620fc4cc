"""`fengshou demo` and `fengshou seed-demo` run in development only: anywhere else they would
create, or reactivate with its published password, the demo operator's login. (In development
they do: tests/catalog/test_demo_seed.py runs the command, tests/account/test_service.py
checks that the logins are restored.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app import cli as cli_module
from app.account import service
from app.account.models import User
from app.core.db import Database, unit_of_work
from app.demo import DEMO_LOGINS
from tests.conftest import Backend, make_settings

OPERATOR = DEMO_LOGINS[0]
KEPT_PASSWORD = "the operator changed it"


async def _deactivated_demo_operator(database: Database) -> None:
    """A production database where someone once ran the demo, then locked its operator out."""
    async with unit_of_work(database.writer) as session:
        user = await service.create_user(
            session,
            email=OPERATOR.email,
            password=KEPT_PASSWORD,
            display_name=OPERATOR.display_name,
            roles=[OPERATOR.role],
        )
        user.is_active = False


async def _operator(database: Database) -> User | None:
    async with unit_of_work(database.reader) as session:
        return await service.find_user_by_email(session, OPERATOR.email)


@pytest.mark.parametrize("environment", ["production", "test"])
@pytest.mark.parametrize("command", [["seed-demo", "--products", "12"], ["demo"]])
async def test_the_demo_refuses_outside_development(
    database: Database,
    db_backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: str,
    command: list[str],
) -> None:
    settings = make_settings(db_backend.url, tmp_path / "var", environment=environment)
    monkeypatch.setattr(cli_module, "get_settings", lambda: settings)

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the demo went on")

    monkeypatch.setattr(cli_module, "upgrade_database", must_not_run)
    monkeypatch.setattr(cli_module, "serve", must_not_run)
    await _deactivated_demo_operator(database)

    # The command runs its own event loop, so it gets a thread of its own.
    result = await asyncio.to_thread(CliRunner().invoke, cli_module.cli, command)

    assert result.exit_code == 2, result.output
    assert "development only" in result.output
    assert f"FENGSHOU_ENVIRONMENT is '{environment}'" in result.output
    operator = await _operator(database)
    assert operator is not None
    assert not operator.is_active
    assert await service.password_matches(operator, KEPT_PASSWORD)
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
    assert not settings.media_dir.joinpath("products").exists()
