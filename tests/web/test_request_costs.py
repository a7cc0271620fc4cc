"""What a request does not pay for: a database session on a kept page, gzip's inspection for a
client that does not accept it, hashing a body whose ETag was kept with it."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import SessionTransaction

from app.config import Settings
from app.core.clock import china_date, utcnow
from app.core.db import Database
from app.core.storage import LocalMediaStorage
from app.demo import seed_demo_catalog
from app.demo.plan import DemoPlan, build_plan
from app.web.caching import weak_etag
from tests.account.factories import create_user, sign_in_page

DEMO_SIZE = 12


@pytest.fixture
async def plan(app: FastAPI, database: Database, settings: Settings) -> DemoPlan:
    media = LocalMediaStorage(settings.media_dir)
    await seed_demo_catalog(database, media, products=DEMO_SIZE, supplier_login=False)
    return build_plan(DEMO_SIZE, china_date(utcnow()))


@pytest.fixture
def still_time(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's caches see time stand still: a kept page stays kept during the test."""
    now = time.monotonic()
    monkeypatch.setattr(app.state.caches, "clock", lambda: now)


def _kept_paths(plan: DemoPlan) -> list[str]:
    return ["/", "/products", "/products?sort=newest", "/api/v1/products?per_page=5"]


async def test_kept_pages_cost_a_visitor_without_cookies_no_session(
    client: httpx.AsyncClient,
    database: Database,
    plan: DemoPlan,
    still_time: None,
    transactions: list[SessionTransaction],
) -> None:
    paths = _kept_paths(plan)
    for path in paths:
        assert (await client.get(path)).status_code == 200, path
    assert transactions, "computing the pages read the database"
    client.cookies.clear()
    transactions.clear()
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "set-cookie" not in response.headers, path
    assert transactions == []

    # A signed-in visitor is read from the database (the count above could see one).
    await create_user(database, email="costs@example.com")
    assert (await sign_in_page(client, "costs@example.com")).status_code == 303
    transactions.clear()
    page = await client.get("/products")
    assert page.status_code == 200 and "测试买家" in page.text
    assert transactions


async def test_a_kept_body_carries_the_etag_of_its_bytes(
    client: httpx.AsyncClient, plan: DemoPlan, still_time: None
) -> None:
    for path in _kept_paths(plan):
        client.cookies.clear()
        first = await client.get(path)
        again = await client.get(path)
        assert first.content == again.content, path
        assert again.headers["etag"] == weak_etag(again.content), path
        unchanged = await client.get(path, headers={"If-None-Match": again.headers["etag"]})
        assert unchanged.status_code == 304, path


async def test_an_answer_not_asked_to_be_gzipped_says_when_another_would_be(
    client: httpx.AsyncClient, plan: DemoPlan, settings: Settings
) -> None:
    page = await client.get("/products", headers={"Accept-Encoding": "identity"})
    assert page.status_code == 200 and "content-encoding" not in page.headers
    assert "</html>" in page.text
    # A gzip-accepting browser would get this page compressed: caches must keep both apart.
    varies = [v.strip().lower() for v in page.headers["vary"].split(",")]
    assert "accept-encoding" in varies and varies.count("cookie") == 1

    small = await client.get("/healthz", headers={"Accept-Encoding": "identity"})
    assert small.status_code == 200 and "accept-encoding" not in small.headers.get("vary", "")

    folder = settings.media_dir / "costs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"0123456789" * 500)
    photo = await client.get("/media/costs/photo.jpg", headers={"Accept-Encoding": "identity"})
    assert photo.status_code == 200 and "accept-encoding" not in photo.headers.get("vary", "")
