"""`fengshou serve --port N` (and so `make run PORT=N`): without FENGSHOU_PUBLIC_BASE_URL, the
links in mail point at the address served; a configured public address is left alone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from app import cli as cli_module
from app.config import get_settings


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """uvicorn.run replaced by a recorder; the settings cache cleared before and after."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append(k))
    monkeypatch.setenv("FENGSHOU_ENVIRONMENT", "test")
    monkeypatch.setenv("FENGSHOU_SECRET_KEY", "a-test-secret-of-at-least-32-characters")
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_the_port_served_becomes_the_public_address(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FENGSHOU_PUBLIC_BASE_URL", raising=False)

    result = CliRunner().invoke(cli_module.cli, ["serve", "--port", "8102", "--no-migrate"])

    assert result.exit_code == 0, result.output
    assert served[0]["port"] == 8102
    assert os.environ["FENGSHOU_PUBLIC_BASE_URL"] == "http://127.0.0.1:8102"
    assert get_settings().public_base_url == "http://127.0.0.1:8102"


def test_all_addresses_are_shown_as_loopback_and_ipv6_in_brackets(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FENGSHOU_PUBLIC_BASE_URL", raising=False)
    every_address = "0.0.0.0"  # noqa: S104 (nothing is bound: uvicorn.run is a recorder)
    CliRunner().invoke(cli_module.cli, ["serve", "--host", every_address, "--port", "9000"])
    assert os.environ["FENGSHOU_PUBLIC_BASE_URL"] == "http://127.0.0.1:9000"
    monkeypatch.delenv("FENGSHOU_PUBLIC_BASE_URL")
    get_settings.cache_clear()
    CliRunner().invoke(cli_module.cli, ["serve", "--host", "::1", "--port", "9001"])
    assert os.environ["FENGSHOU_PUBLIC_BASE_URL"] == "http://[::1]:9001"


def test_a_configured_public_address_is_kept(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FENGSHOU_PUBLIC_BASE_URL", "https://shop.example.cn")

    result = CliRunner().invoke(cli_module.cli, ["serve", "--port", "8102", "--no-migrate"])

    assert result.exit_code == 0, result.output
    assert get_settings().public_base_url == "https://shop.example.cn"


POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/fengshou"


def test_workers_start_that_many_processes_with_the_apps_logging(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FENGSHOU_DATABASE_URL", POSTGRES_URL)

    result = CliRunner().invoke(cli_module.cli, ["serve", "--workers", "3", "--no-migrate"])

    assert result.exit_code == 0, result.output
    assert served[0]["workers"] == 3
    assert served[0]["factory"] is True
    app_logger = served[0]["log_config"]["loggers"]["app"]
    assert app_logger["level"] == "INFO"
    assert app_logger["handlers"] == ["app"]


def test_the_number_of_workers_defaults_to_the_setting(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FENGSHOU_DATABASE_URL", POSTGRES_URL)
    monkeypatch.setenv("FENGSHOU_WEB_WORKERS", "2")
    get_settings.cache_clear()

    result = CliRunner().invoke(cli_module.cli, ["serve", "--no-migrate"])

    assert result.exit_code == 0, result.output
    assert served[0]["workers"] == 2


def test_one_process_unless_asked(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FENGSHOU_DATABASE_URL", POSTGRES_URL)
    CliRunner().invoke(cli_module.cli, ["serve", "--no-migrate"])
    assert served[0]["workers"] == 1


def test_several_processes_on_sqlite_are_refused_before_anything_starts(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FENGSHOU_DATABASE_URL", "sqlite+aiosqlite:///var/never.sqlite3")

    result = CliRunner().invoke(cli_module.cli, ["serve", "--workers", "2", "--no-migrate"])

    assert result.exit_code == 2
    assert "PostgreSQL" in result.output
    assert served == []


def test_a_number_of_workers_out_of_range_is_refused(served: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(cli_module.cli, ["serve", "--workers", "0", "--no-migrate"])
    assert result.exit_code == 2
    assert served == []


def test_requests_are_logged_unless_the_setting_turns_it_off(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    CliRunner().invoke(cli_module.cli, ["serve", "--no-migrate"])
    monkeypatch.setenv("FENGSHOU_ACCESS_LOG", "false")
    get_settings.cache_clear()
    CliRunner().invoke(cli_module.cli, ["serve", "--no-migrate"])

    assert [call["access_log"] for call in served] == [True, False]


@pytest.mark.parametrize(("setting", "flag", "logged"), [
    ("true", "--no-access-log", False),
    ("false", "--access-log", True),
])  # fmt: skip
def test_the_flag_overrides_the_access_log_setting(
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    flag: str,
    logged: bool,
) -> None:
    monkeypatch.setenv("FENGSHOU_ACCESS_LOG", setting)
    get_settings.cache_clear()

    result = CliRunner().invoke(cli_module.cli, ["serve", flag, "--no-migrate"])

    assert result.exit_code == 0, result.output
    assert served[0]["access_log"] is logged
