"""How answers travel: gzip, hashed static files cached for a year, ETags and 304."""

from __future__ import annotations

import asyncio
import gzip
import re
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from app.config import Settings
from app.core.clock import china_date, utcnow
from app.core.db import Database
from app.core.storage import LocalMediaStorage
from app.demo import seed_demo_catalog
from app.demo.plan import DemoPlan, build_plan
from app.web.caching import etag_matches, weak_etag
from app.web.security_headers import CSP, content_security_policy
from app.web.static import IMMUTABLE, STATIC_DIR, hashed_name, manifest, static_url, unhashed
from tests.account.factories import create_user, sign_in_page, token_for

DEMO_SIZE = 12
GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
async def plan(database: Database, settings: Settings) -> DemoPlan:
    media = LocalMediaStorage(settings.media_dir)
    await seed_demo_catalog(database, media, products=DEMO_SIZE, supplier_login=False)
    return build_plan(DEMO_SIZE, china_date(utcnow()))


def _listed_slug(plan: DemoPlan) -> str:
    verified = {s.credit_code for s in plan.suppliers if s.status == "verified"}
    return next(
        p.slug for p in plan.products if p.status == "active" and p.supplier_credit_code in verified
    )


class Raw:
    """An answer as sent: its headers and its body not decoded (httpx would undo gzip)."""

    def __init__(self, response: httpx.Response, content: bytes) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        self.content = content


async def _raw(client: httpx.AsyncClient, path: str, **headers: str) -> Raw:
    request = client.build_request("GET", path, headers=headers)
    response = await client.send(request, stream=True)
    content = b"".join([part async for part in response.aiter_raw()])
    await response.aclose()
    return Raw(response, content)


# ---------------------------------------------------------------------------------------------
# Compression


async def test_pages_json_css_and_js_are_gzipped_when_asked_for(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    for path in (
        "/products",
        "/api/v1/products",
        static_url("css/site.css"),
        static_url("vendor/echarts/echarts.custom.min.js"),
    ):
        response = await _raw(client, path, **GZIP)
        assert response.status_code == 200, path
        assert response.headers["content-encoding"] == "gzip", path
        assert "accept-encoding" in response.headers["vary"].lower(), path
        body = gzip.decompress(response.content)
        assert len(response.content) < len(body) / 2, path
        # A page or JSON is one piece, with its compressed length; a file is streamed.
        if not path.startswith("/static/"):
            assert response.headers["content-length"] == str(len(response.content)), path
        # The security headers survive compression.
        assert response.headers[CSP] == content_security_policy(), path

    plain = await _raw(client, "/products", **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert b"</html>" in plain.content


async def test_a_kept_body_is_gzipped_once_and_means_the_same_either_way(
    app: FastAPI, client: httpx.AsyncClient, plan: DemoPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.monotonic()
    monkeypatch.setattr(app.state.caches, "clock", lambda: now)  # kept pages stay kept
    streams: list[int] = []  # the middleware's compressions, one stream per answer
    original = zlib.compressobj

    def counting(*args: Any, **kwargs: Any) -> Any:
        streams.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(zlib, "compressobj", counting)
    product = f"/products/{_listed_slug(plan)}"
    for path in ["/products", "/api/v1/products?per_page=5", product]:
        client.cookies.clear()
        await client.get(path)
        plain = await client.get(path, headers={"Accept-Encoding": "identity"})
        streams.clear()
        zipped = await _raw(client, path, **{"Accept-Encoding": "gzip, br"})
        again = await _raw(client, path, **GZIP)
        assert zipped.status_code == again.status_code == 200, path
        assert zipped.headers["content-encoding"] == "gzip", path
        assert gzip.decompress(zipped.content) == plain.content, path
        assert zipped.headers["content-length"] == str(len(zipped.content)), path
        varies = [v.strip().lower() for v in zipped.headers["vary"].split(",")]
        assert sorted(varies) == ["accept-encoding", "cookie"], path
        # A weak validator: the same version whatever the encoding.
        assert zipped.headers["etag"] == plain.headers["etag"], path
        unchanged = await client.get(
            path, headers={"If-None-Match": plain.headers["etag"], "Accept-Encoding": "gzip"}
        )
        assert unchanged.status_code == 304, path
        # Kept and compressed once, when kept; the product page's buy form holds the
        # visitor's CSRF token, which goes in uncompressed: nothing compressed per answer.
        assert streams == [] and zipped.content == again.content, path


async def test_small_answers_and_compressed_files_are_sent_as_they_are(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    small = await _raw(client, "/healthz", **GZIP)
    assert small.status_code == 200 and "content-encoding" not in small.headers

    # Photos, PDFs and spreadsheets are compressed already.
    folder = settings.media_dir / "delivery"
    folder.mkdir(parents=True, exist_ok=True)
    filler = b"0123456789" * 1000
    files = {
        "scan.pdf": b"%PDF-1.4\n" + filler,
        "photo.jpg": b"\xff\xd8\xff\xe0" + filler,
        "photo.png": b"\x89PNG\r\n\x1a\n" + filler,
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
        response = await _raw(client, f"/media/delivery/{name}", **GZIP)
        assert response.status_code == 200, name
        assert "content-encoding" not in response.headers, name
        assert response.content == data, name


async def test_a_streamed_answer_is_compressed_chunk_by_chunk(app: FastAPI) -> None:
    chunks = [f"line {n}: {'丰收' * 200}\n".encode() for n in range(5)]

    async def lines() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    @app.get("/test-stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(lines(), media_type="text/csv")

    # Straight through ASGI: httpx's test transport would gather the body into one piece.
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/test-stream",
        "raw_path": b"/test-stream",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"accept-encoding", b"gzip")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # The client stays connected: the response's disconnect listener waits here until
        # the stream is done (an answer at once would spin the event loop).
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)

    headers = dict(sent[0]["headers"])
    assert headers[b"content-encoding"] == b"gzip"
    assert b"content-length" not in headers
    bodies = [m["body"] for m in sent[1:] if m["type"] == "http.response.body"]
    # Each chunk goes out when it comes, whole: the client can read it before the next.
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for chunk, body in zip(chunks, bodies, strict=False):
        assert decoder.decompress(body) == chunk
    assert len(bodies) >= len(chunks)
    assert gzip.decompress(b"".join(bodies)) == b"".join(chunks)


# ---------------------------------------------------------------------------------------------
# Static files


def test_static_urls_name_the_files_content() -> None:
    url = static_url("css/site.css")
    digest = manifest()["css/site.css"]
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", url)
    assert url == f"/static/css/site.{digest}.css"
    assert static_url("vendor/echarts/echarts.custom.min.js").startswith(
        "/static/vendor/echarts/echarts.custom.min."
    )
    assert unhashed(f"css/site.{digest}.css") == ("css/site.css", digest)
    assert unhashed("css/site.css") is None
    assert hashed_name("LICENSE", "0123456789ab") == "LICENSE.0123456789ab"
    with pytest.raises(KeyError):
        static_url("css/no-such-file.css")


async def test_hashed_static_files_are_immutable_and_plain_ones_revalidated(
    client: httpx.AsyncClient,
) -> None:
    source = (STATIC_DIR / "css" / "site.css").read_bytes()

    hashed = await client.get(static_url("css/site.css"))
    assert hashed.status_code == 200
    assert hashed.content == source
    assert hashed.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert hashed.headers["content-type"].startswith("text/css")
    assert hashed.headers[CSP] == content_security_policy()
    assert hashed.headers["x-content-type-options"] == "nosniff"

    plain = await client.get("/static/css/site.css")
    assert plain.status_code == 200 and plain.content == source
    assert plain.headers["cache-control"] == "no-cache"
    again = await client.get(
        "/static/css/site.css", headers={"If-None-Match": plain.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/static/css/site.000000000000.css",  # an old or made-up version
        "/static/css/nothing.0123456789ab.css",
        "/static/css/site.0123456789AB.css",  # upper case is no hash: and no such file
        "/static/../app/config.0123456789ab.py",
    ],
)
async def test_a_wrong_hash_is_not_found(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("cache-control", "")


async def test_pages_link_their_assets_by_hash(client: httpx.AsyncClient, plan: DemoPlan) -> None:
    listing = (await client.get("/products")).text
    assert f'href="{static_url("css/site.css")}"' in listing
    assert f'href="{static_url("favicon.svg")}"' in listing
    assert f'src="{static_url("js/storefront.js")}" defer' in listing
    for path in re.findall(r'(?:href|src)="(/static/[^"]+)"', listing):
        asset = await client.get(path)
        assert asset.status_code == 200 and asset.headers["cache-control"] == IMMUTABLE, path


def test_every_static_file_is_in_the_manifest() -> None:
    files = {
        p.relative_to(STATIC_DIR).as_posix() for p in Path(STATIC_DIR).rglob("*") if p.is_file()
    }
    assert set(manifest()) == files


# ---------------------------------------------------------------------------------------------
# Validators


def test_weak_etags_compare_weakly() -> None:
    tag = weak_etag(b"body")
    assert tag.startswith('W/"') and tag == weak_etag(b"body") != weak_etag(b"other")
    assert etag_matches(tag, tag)
    assert etag_matches(tag.removeprefix("W/"), tag)
    assert etag_matches(f'"x", {tag}', tag)
    assert etag_matches("*", tag)
    assert not etag_matches('W/"x"', tag)
    assert not etag_matches("", tag)


async def test_public_pages_and_reads_answer_304_when_unchanged(
    client: httpx.AsyncClient, plan: DemoPlan
) -> None:
    slug = _listed_slug(plan)
    county = plan.suppliers[0].county_code
    # The first visit to a page with a form starts the visitor's session (its cookie, for the
    # CSRF token): no validator on that one.
    first = await client.get(f"/products/{slug}")
    assert first.status_code == 200 and "set-cookie" in first.headers
    assert "etag" not in first.headers
    for path in (
        "/",
        "/products",
        "/products?category=fruit",
        f"/products/{slug}",
        f"/counties/{county}",
        "/impact",
        "/api/v1/products",
        "/api/v1/impact/summary",
        f"/api/v1/regions/counties/{county}",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        etag = response.headers["etag"]
        assert etag.startswith('W/"'), path
        assert "no-cache" in response.headers["cache-control"], path
        assert "cookie" in response.headers["vary"].lower(), path

        again = await client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.content == b"", path
        assert again.headers["etag"] == etag, path
        assert again.headers[CSP] == content_security_policy(), path

        stale = await client.get(path, headers={"If-None-Match": 'W/"stale"'})
        assert stale.status_code == 200 and stale.content == response.content, path


async def test_a_changed_answer_has_another_etag(client: httpx.AsyncClient, plan: DemoPlan) -> None:
    await client.get("/products")
    chinese = await client.get("/products")
    english = await client.get("/products", params={"lang": "en"})
    # Asking for English sets the language cookie: that answer carries no validator...
    assert "set-cookie" in english.headers and "etag" not in english.headers
    again = await client.get("/products", params={"lang": "en"})
    # ...the next one does, and it is not the Chinese page's.
    assert again.headers["etag"] != chinese.headers["etag"]
    answer = await client.get("/products", headers={"If-None-Match": chinese.headers["etag"]})
    # The cookie now says English: the Chinese version no longer matches.
    assert answer.status_code == 200 and '<html lang="en">' in answer.text


async def test_no_validators_for_signed_in_visitors_tokens_or_errors(
    client: httpx.AsyncClient, database: Database, plan: DemoPlan
) -> None:
    user_id = await create_user(database, email="etag@example.com")
    headers = {"Authorization": f"Bearer {token_for(user_id)}"}
    api = await client.get("/api/v1/products", headers=headers)
    assert api.status_code == 200 and "etag" not in api.headers

    missing = await client.get("/products/no-such-product")
    missing = await client.get("/products/no-such-product")
    assert missing.status_code == 404 and "etag" not in missing.headers

    assert (await sign_in_page(client, "etag@example.com")).status_code == 303
    for path in ("/", "/products", f"/products/{_listed_slug(plan)}"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "etag" not in response.headers, path
        conditional = await client.get(path, headers={"If-None-Match": "*"})
        assert conditional.status_code == 200, path
    # Personal pages never had one.
    cart = await client.get("/cart")
    assert cart.status_code == 200 and "etag" not in cart.headers
