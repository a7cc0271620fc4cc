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
