"""Every failure answers in the contract's error form (JSON) or as an error page (HTML)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from tests.conftest import Backend
from tests.http_assertions import assert_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_unknown_api_route_is_a_json_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/no-such-thing"), 404, "not_found")


async def test_unknown_page_is_an_html_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "没有找到这个页面" in response.text


async def test_wrong_method_is_405_in_error_form(client: httpx.AsyncClient) -> None:
    assert_error(await client.delete("/api/v1/regions/provinces"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        # One path, two routes (PATCH and DELETE): the router alone named only the first.
        ("OPTIONS", "/api/v1/cart/items/1", "DELETE, PATCH"),
        ("PUT", "/api/v1/orders", "GET, POST"),
        ("DELETE", "/api/v1/products/1", "GET, PATCH"),
        # The report is read-only: not a 422 about an id "1.xlsx" of the DELETE route beside it.
        ("DELETE", "/api/v1/organizations/1/bulk-orders/1.xlsx", "GET"),
        ("PUT", "/cart", "GET"),
    ],
)
async def test_a_405_names_every_method_of_the_path(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allowed


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/token",
        content=b'{"email": "a@b.cn", "password": ',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 400, "malformed_json")


async def test_wrong_types_are_422_with_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/token", json={"email": ["x"], "password": 5})
    error = assert_error(response, 422, "validation_failed")
    fields = error["fields"]
    assert isinstance(fields, dict)
    assert "email" in fields and "password" in fields


@pytest.mark.parametrize("chunked", [False, True])
async def test_oversized_body_is_413(
    client: httpx.AsyncClient, chunked: bool, settings: Settings
) -> None:
    size = settings.max_body_bytes + 1
    if chunked:

        async def body() -> AsyncIterator[bytes]:
            for _ in range(size // 65536 + 1):
                yield b" " * 65536

        response = await client.post(
            "/api/v1/auth/token", content=body(), headers={"content-type": "application/json"}
        )
    else:
        response = await client.post(
            "/api/v1/auth/token",
            content=b" " * size,
            headers={"content-type": "application/json"},
        )
    assert_error(response, 413, "payload_too_large")


async def test_health_and_readiness(client: httpx.AsyncClient, db_backend: Backend) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok"}


async def test_readiness_reports_an_unreachable_database(tmp_path: object) -> None:
    from pathlib import Path

    from app.main import create_app
    from tests.conftest import make_settings

    assert isinstance(tmp_path, Path)
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"  # nothing listens on port 1
    app = create_app(make_settings(url, tmp_path / "var"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/readyz")
    await app.state.database.dispose()
    await app.state.http.aclose()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


async def test_every_json_route_is_documented_with_a_response_model(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    api_paths = {p: ops for p, ops in spec["paths"].items() if p.startswith("/api/v1")}
    assert "/api/v1/regions/counties" in api_paths
    for path, operations in api_paths.items():
        for method, operation in operations.items():
            ok = [s for s in operation["responses"] if s.startswith("2")]
            assert ok, f"{method} {path} documents no success response"
            if ok == ["204"]:
                continue  # "No Content" has no body to describe
            content = operation["responses"][ok[0]].get("content", {})
            if content and "application/json" not in content:
                documents = {"text/csv", XLSX, "text/html", "application/pdf", "image/jpeg"}
                assert set(content) <= documents, f"{method} {path}: {set(content)}"
                continue  # a file or printable document, documented by its media type
            schema = content.get("application/json", {}).get("schema")
            assert schema, f"{method} {path} has no response model"
            error_schema = operation["responses"]["422"]["content"]["application/json"]["schema"]
            assert error_schema == {"$ref": "#/components/schemas/ErrorResponse"}


async def test_language_switch_is_remembered(client: httpx.AsyncClient) -> None:
    english = await client.get("/?lang=en")
    assert english.status_code == 200
    assert '<html lang="en">' in english.text
    assert english.cookies.get("lang") == "en"
    again = await client.get("/")  # the cookie keeps the choice
    assert '<html lang="en">' in again.text
    chinese = await client.get("/?lang=zh-CN")
    assert '<html lang="zh-CN">' in chinese.text
