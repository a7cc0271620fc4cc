"""Assertions on HTTP responses shared by the API tests: the contract's one error form, and
reading a Content-Security-Policy."""

from __future__ import annotations

from typing import Any

import httpx


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's error form (`{"error": {code, message, fields}}`, nothing
    else) with this status and code and a message; returns the error object."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    return error


def csp_directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    return {
        name: sources
        for name, *sources in (part.split() for part in policy.split(";") if part.strip())
    }
