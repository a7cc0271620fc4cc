"""Security headers on every response: pages, JSON, static files, media, errors and /docs."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.web.media import MEDIA_POLICY
from app.web.security_headers import HSTS, content_security_policy, permissions_policy
from app.web.static import static_url
from tests.conftest import Backend, make_settings
from tests.http_assertions import assert_error, csp_directives

SITE_POLICY = content_security_policy()


def assert_site_headers(response: httpx.Response, *, policy: str = SITE_POLICY) -> None:
    headers = response.headers
    assert headers["content-security-policy"] == policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert "geolocation=()" in headers["permissions-policy"]
    assert "strict-transport-security" not in headers  # served over plain HTTP here


def test_the_site_policy_allows_nothing_inline_and_nothing_from_elsewhere() -> None:
    directives = csp_directives(SITE_POLICY)

    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    sources = [source for listed in directives.values() for source in listed]
    assert not any("unsafe" in s or s.startswith("'nonce") for s in sources)


def test_extra_sources_join_their_directive_and_replace_none() -> None:
    directives = csp_directives(
        content_security_policy(
            {"script-src": ["https://js.example"], "frame-src": ["https://frames.example"]}
        )
    )

    assert directives["script-src"] == ["'self'", "https://js.example"]
    assert directives["frame-src"] == ["https://frames.example"]
    assert directives["style-src"] == ["'self'"]


def test_a_feature_is_granted_only_where_asked() -> None:
    policy = permissions_policy({"payment": ["self", '"https://js.example"']})

    assert 'payment=(self "https://js.example")' in policy
    assert "camera=()" in policy


@pytest.mark.parametrize(
    "path",
    ["/", "/products", "/login", "/api/v1/products", "/api/v1/regions/provinces", "/healthz"],
)
async def test_pages_and_json_carry_the_headers(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200, response.text
    assert_site_headers(response)


async def test_static_files_carry_the_headers(client: httpx.AsyncClient) -> None:
    for path in ("/static/css/site.css", static_url("js/impact.js")):
        response = await client.get(path)
        assert response.status_code == 200
        assert_site_headers(response)


async def test_uploaded_media_are_sandboxed_and_pdfs_downloaded(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    folder = settings.media_dir / "certificates" / "7"
    folder.mkdir(parents=True)
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4\n<script>alert(1)</script>")
    (folder / "scan.jpg").write_bytes(b"<html><script>alert(1)</script></html>")

    pdf = await client.get("/media/certificates/7/scan.pdf")
    image = await client.get("/media/certificates/7/scan.jpg")

    for response in (pdf, image):
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == MEDIA_POLICY
        assert "sandbox" in csp_directives(MEDIA_POLICY)
    assert pdf.headers["content-disposition"] == 'attachment; filename="scan.pdf"'
    assert pdf.headers["content-type"] == "application/pdf"
    # An image is shown inline, as the pages do, and never sniffed into HTML.
    assert "content-disposition" not in image.headers
    assert image.headers["content-type"] == "image/jpeg"
    # A 304 answer of a cached scan keeps the policy too.
    again = await client.get(
        "/media/certificates/7/scan.pdf", headers={"If-None-Match": pdf.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["content-security-policy"] == MEDIA_POLICY


async def test_error_responses_carry_the_headers(client: httpx.AsyncClient, app: FastAPI) -> None:
    @app.get("/api/v1/test-crash")
    async def crash() -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as crashing:
        server_error = await crashing.get("/api/v1/test-crash")
    page_404 = await client.get("/no-such-page")
    json_404 = await client.get("/api/v1/no-such-thing")
    invalid = await client.get("/api/v1/products?page=0")
    too_large = await client.post(
        "/api/v1/auth/token",
        content=b"x" * 100,
        headers={"content-type": "application/json", "content-length": str(10**9)},
    )
    missing_media = await client.get("/media/products/none.jpg")

    assert_error(server_error, 500, "internal_error")
    assert page_404.status_code == 404 and "text/html" in page_404.headers["content-type"]
    assert_error(json_404, 404, "not_found")
    assert invalid.status_code == 422
    assert_error(too_large, 413, "payload_too_large")
    assert missing_media.status_code == 404
    for response in (server_error, page_404, json_404, invalid, too_large, missing_media):
        assert_site_headers(response)


async def test_the_api_docs_are_served_from_the_site(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")

    assert docs.status_code == 200
    assert_site_headers(docs, policy=content_security_policy({"img-src": ["data:"]}))
    # No inline script and nothing from a CDN: each script and stylesheet is one of ours.
    assert "<script>" not in docs.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(source.startswith("/static/") for source in sources), sources
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 0
    assert (await client.get("/openapi.json")).status_code == 200
    # FastAPI's own pages (CDN scripts, inline code) are gone.
    assert (await client.get("/redoc")).status_code == 404
    assert (await client.get("/docs/oauth2-redirect")).status_code == 404


async def test_hsts_only_when_the_site_is_served_over_https(
    db_backend: Backend, tmp_path: Path
) -> None:
    for secure in (True, False):
        settings = make_settings(
            db_backend.url, tmp_path / f"var-{secure}", session_cookie_secure=secure
        )
        application = create_app(settings)
        try:
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
                responses = [await client.get("/"), await client.get("/api/v1/products")]
        finally:
            await application.state.caches.aclose()
            await application.state.database.dispose()
            await application.state.http.aclose()
        for response in responses:
            assert response.status_code == 200
            if secure:
                assert response.headers["strict-transport-security"] == HSTS
            else:
                assert "strict-transport-security" not in response.headers
