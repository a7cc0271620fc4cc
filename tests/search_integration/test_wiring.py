"""The search library wired into the app: outbox indexing, reindex, listings, degraded mode."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.catalog import indexing, listing
from app.catalog.indexing import REINDEX_JOB, enqueue_reindex
from app.catalog.schemas import ProductQuery
from app.certification.models import CertificateKind, CertificateStatus
from app.cli import reindex_search
from app.config import Settings
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.jobs.models import Job, JobStatus
from app.jobs.runner import JobRunner
from search import InvalidQuery, ProductDocument, SearchResult
from search import ProductQuery as SearchQuery
from search.embedded.schema import metadata as search_metadata
from search.meili import MeiliBackend
from tests.account.factories import bearer, create_operator, token_for
from tests.catalog.factories import create_product, sku, sync_search_index, upload_photo
from tests.certification.factories import create_certificate
from tests.conftest import _empty_non_reference_tables
from tests.cooperative.factories import KEY_COUNTY, PLAIN_COUNTY, create_supplier
from tests.http_assertions import assert_error

# Nothing listens on port 1: the client's connection is refused at once.
DEAD_MEILI = "http://127.0.0.1:1"


@pytest.fixture
async def empty_index(app: FastAPI, database: Database) -> None:
    """Start from an empty index: the shared fixtures empty the catalog tables only."""
    await sync_search_index(database)


async def _search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/products", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


async def _jobs(database: Database) -> list[Job]:
    async with unit_of_work(database.reader) as session:
        return list(await session.scalars(select(Job).where(Job.name == REINDEX_JOB)))


# ---------------------------------------------------------------------------------------------
# Through the outbox


async def test_a_new_product_is_findable_by_text_and_pinyin_once_the_job_ran(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, empty_index: None
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    created = await create_product(
        client, supplier, title="赣南脐橙", category="fruit", skus=[sku(), sku(), sku()]
    )

    # Written in the requests' transactions (its photo, then publishing it): a job each for the
    # product, none per SKU.
    jobs = await _jobs(database)
    assert [(job.status, job.payload["product_ids"]) for job in jobs] == [
        (JobStatus.PENDING, [created["id"]])
    ] * 2
    assert (await _search(client, q="脐橙"))["total"] == 0

    assert await runner.run_until_idle() == 2

    for text in ("脐橙", "赣南脐橙", "qicheng", "gnqc"):
        body = await _search(client, q=text)
        assert _titles(body) == ["赣南脐橙"], text
        assert body["degraded"] is False
    assert (await _search(client, q="枸杞"))["total"] == 0


async def test_a_draft_is_not_indexed_and_publishing_it_is(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, empty_index: None
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    created = await create_product(client, supplier, title="宁夏中宁枸杞", status="draft")
    assert await _jobs(database) == []
    await upload_photo(client, supplier, created["id"])  # nothing is published without one

    response = await client.patch(
        f"/api/v1/products/{created['id']}", json={"status": "active"}, headers=supplier.headers
    )
    assert response.status_code == 200, response.text
    await runner.run_until_idle()
    assert _titles(await _search(client, q="枸杞")) == ["宁夏中宁枸杞"]

    response = await client.patch(
        f"/api/v1/products/{created['id']}", json={"status": "archived"}, headers=supplier.headers
    )
    assert response.status_code == 200, response.text
    await runner.run_until_idle()
    assert (await _search(client, q="枸杞"))["total"] == 0


async def test_a_price_change_resorts_the_listing(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, empty_index: None
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    cheap = await create_product(client, supplier, title="上犹绿茶", skus=[sku(price_fen=2000)])
    await create_product(client, supplier, title="上犹红茶", skus=[sku(price_fen=3000)])
    await runner.run_until_idle()
    assert _titles(await _search(client, sort="price_asc")) == ["上犹绿茶", "上犹红茶"]

    response = await client.patch(
        f"/api/v1/skus/{cheap['skus'][0]['id']}",
        json={"price_fen": 5000},
        headers=supplier.headers,
    )
    assert response.status_code == 200, response.text
    await runner.run_until_idle()

    body = await _search(client, sort="price_asc")
    assert _titles(body) == ["上犹红茶", "上犹绿茶"]
    assert [item["min_price_fen"] for item in body["items"]] == [3000, 5000]
    # The price filter follows the index too.
    assert _titles(await _search(client, max_price_fen=4000)) == ["上犹红茶"]


async def test_suspending_the_supplier_removes_its_products(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, empty_index: None
) -> None:
    kept = await create_supplier(database, county_code=PLAIN_COUNTY, name="上犹茶叶合作社")
    gone = await create_supplier(database, county_code=KEY_COUNTY, name="融水苗家合作社")
    await create_product(client, kept, title="上犹绿茶")
    await create_product(client, gone, title="融水绿茶")
    await runner.run_until_idle()
    assert sorted(_titles(await _search(client, q="绿茶"))) == ["上犹绿茶", "融水绿茶"]

    operator = await create_operator(database)
    response = await client.post(
        f"/api/v1/admin/cooperatives/{gone.id}/suspend",
        json={"reason": "检查发现以次充好"},
        headers=bearer(token_for(operator)),
    )
    assert response.status_code == 200, response.text
    assert await runner.run_until_idle() == 1

    body = await _search(client, q="绿茶")
    assert _titles(body) == ["上犹绿茶"]
    assert {entry["value"] for entry in body["facets"]["province"]} == {"360000"}


async def test_a_revoked_certificate_stops_matching_its_label(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, empty_index: None
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    certificate = await create_certificate(
        database, supplier.id, kind=CertificateKind.ORGANIC, status=CertificateStatus.VERIFIED
    )
    await create_product(client, supplier, title="上犹绿茶", certificate_ids=[certificate])
    await runner.run_until_idle()
    body = await _search(client, label="organic")
    assert _titles(body) == ["上犹绿茶"]
    assert body["facets"]["label"] == [{"value": "organic", "label": "有机产品", "count": 1}]

    operator = await create_operator(database)
    response = await client.post(
        f"/api/v1/admin/certificates/{certificate}/revoke",
        json={"reason": "证书已被发证机构撤销"},
        headers=bearer(token_for(operator)),
    )
    assert response.status_code == 200, response.text
    await runner.run_until_idle()

    body = await _search(client, label="organic")
    assert body["total"] == 0
    assert (await _search(client))["facets"]["label"] == []


async def test_an_expired_certificate_stops_matching_without_a_reindex(
    client: httpx.AsyncClient, app: FastAPI, database: Database, runner: JobRunner
) -> None:
    await sync_search_index(database)
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    until = china_date(utcnow()) + timedelta(days=30)
    certificate = await create_certificate(
        database, supplier.id, valid_until=until, status=CertificateStatus.VERIFIED
    )
    await create_product(client, supplier, title="上犹绿茶", certificate_ids=[certificate])
    await runner.run_until_idle()
    query = ProductQuery(label="gi")

    async with unit_of_work(database.reader) as session:
        valid = await listing.list_products(session, query, search=app.state.search, today=until)
        expired = await listing.list_products(
            session, query, search=app.state.search, today=until + timedelta(days=1)
        )

    assert [item.title for item in valid.items] == ["上犹绿茶"]
    assert expired.total == 0
    assert expired.facets.label == []


async def test_a_certificate_starting_later_matches_from_its_first_day_without_a_reindex(
    client: httpx.AsyncClient, app: FastAPI, database: Database, runner: JobRunner
) -> None:
    await sync_search_index(database)
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    start = china_date(utcnow()) + timedelta(days=20)
    certificate = await create_certificate(
        database,
        supplier.id,
        valid_from=start,
        valid_until=start + timedelta(days=365),
        status=CertificateStatus.VERIFIED,
    )
    await create_product(client, supplier, title="上犹绿茶", certificate_ids=[certificate])
    await runner.run_until_idle()
    query = ProductQuery(label="gi")

    async with unit_of_work(database.reader) as session:
        early = await listing.list_products(
            session, query, search=app.state.search, today=start - timedelta(days=1)
        )
        started = await listing.list_products(session, query, search=app.state.search, today=start)

    assert early.total == 0
    assert early.facets.label == []
    assert [item.title for item in started.items] == ["上犹绿茶"]
    assert [(facet.value, facet.count) for facet in started.facets.label] == [("gi", 1)]


async def test_the_clean_up_between_tests_empties_the_search_index(
    client: httpx.AsyncClient, app: FastAPI, database: Database, runner: JobRunner
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    await create_product(client, supplier, title="上犹绿茶")
    await runner.run_until_idle()
    assert (await _search(client, q="绿茶"))["total"] == 1

    await _empty_non_reference_tables(database)

    result = await app.state.search.search(SearchQuery(), china_date(utcnow()))
    assert (result.total, result.facets["province"]) == (0, [])
    async with unit_of_work(database.reader) as session:
        counts = [
            await session.scalar(select(func.count()).select_from(table))
            for table in search_metadata.sorted_tables
        ]
    assert counts == [0] * len(counts)


async def test_one_job_per_transaction(database: Database) -> None:
    async with unit_of_work(database.writer) as session:
        await enqueue_reindex(session, product_ids=[3, 1])
        await enqueue_reindex(session, product_ids=[2, 3])
        await enqueue_reindex(session, cooperative_id=7)
    async with unit_of_work(database.writer) as session:
        await enqueue_reindex(session, product_ids=[9])

    jobs = sorted(await _jobs(database), key=lambda job: job.id)
    assert [job.payload for job in jobs] == [
        {"product_ids": [1, 2, 3], "cooperative_ids": [7]},
        {"product_ids": [9], "cooperative_ids": []},
    ]


async def test_a_job_keeps_the_texts_tokens_only_when_every_call_asked(database: Database) -> None:
    async with unit_of_work(database.writer) as session:  # ratings only
        await enqueue_reindex(session, product_ids=[4], texts_as_indexed=True)
        await enqueue_reindex(session, product_ids=[5], texts_as_indexed=True)
    async with unit_of_work(database.writer) as session:  # a rating, then a title
        await enqueue_reindex(session, product_ids=[6], texts_as_indexed=True)
        await enqueue_reindex(session, product_ids=[7])
    async with unit_of_work(database.writer) as session:  # a title, then a rating
        await enqueue_reindex(session, product_ids=[8])
        await enqueue_reindex(session, product_ids=[9], texts_as_indexed=True)
    async with unit_of_work(database.writer) as session:  # a supplier's products: whole
        await enqueue_reindex(session, cooperative_id=3, texts_as_indexed=True)
        await enqueue_reindex(session, product_ids=[10], texts_as_indexed=True)

    jobs = sorted(await _jobs(database), key=lambda job: job.id)
    assert [job.payload for job in jobs] == [
        {"product_ids": [4, 5], "cooperative_ids": [], "texts_as_indexed": True},
        {"product_ids": [6, 7], "cooperative_ids": []},
        {"product_ids": [8, 9], "cooperative_ids": []},
        {"product_ids": [10], "cooperative_ids": [3]},
    ]


async def test_a_reindex_indexes_the_listed_products_in_batches_and_removes_the_others(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    empty_index: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    listed = [
        (await create_product(client, supplier, title=title))["id"]
        for title in ("上犹绿茶", "上犹脐橙", "上犹腊肉")
    ]
    gone = [999_998, 999_999]  # no such products: removed from the index if they were there
    monkeypatch.setattr(indexing, "REINDEX_BATCH", 2)

    async with unit_of_work(database.writer) as session:
        counts = await indexing.reindex_products(
            session,
            indexing.backend_for(session, app.state.search),
            product_ids=[*listed, *gone],
            texts_as_indexed=False,
        )

    assert counts == (3, 2)
    # No runner ran their jobs: the index holds them through this call alone.
    assert {item["id"] for item in (await _search(client))["items"]} == set(listed)


# ---------------------------------------------------------------------------------------------
# Rebuilding


async def test_reindex_rebuilds_an_emptied_index(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    settings: Settings,
    empty_index: None,
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    for title in ("上犹绿茶", "上犹脐橙", "上犹腊肉"):
        await create_product(client, supplier, title=title)
    # No runner: the outbox jobs never ran, and the index is emptied on top of that.
    await app.state.search.clear()
    assert (await _search(client))["total"] == 0

    report = await reindex_search(settings, database, show_progress=False)

    assert "3 products indexed" in report
    body = await _search(client, sort="newest")
    assert _titles(body) == ["上犹腊肉", "上犹脐橙", "上犹绿茶"]
    assert _titles(await _search(client, q="qicheng")) == ["上犹脐橙"]


# ---------------------------------------------------------------------------------------------
# When the search service fails


async def test_with_the_backend_down_the_listing_answers_newest_first_with_a_notice(
    client: httpx.AsyncClient, app: FastAPI, database: Database, runner: JobRunner
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    for title, price in (("上犹绿茶", 900), ("上犹脐橙", 100), ("上犹腊肉", 500)):
        await create_product(client, supplier, title=title, skus=[sku(price_fen=price)])
    app.state.search = MeiliBackend(DEAD_MEILI, timeout_seconds=1)

    body = await _search(client, sort="price_asc")
    assert body["degraded"] is True
    assert _titles(body) == ["上犹腊肉", "上犹脐橙", "上犹绿茶"]  # newest first, not by price
    assert {entry["value"]: entry["count"] for entry in body["facets"]["category"]} == {
        "grain_oil": 3
    }
    # The filters still apply, and the text is matched plainly.
    assert _titles(await _search(client, q="脐橙")) == ["上犹脐橙"]
    assert (await _search(client, max_price_fen=200))["total"] == 1

    page = await client.get("/products", params={"q": "上犹"})
    assert page.status_code == 200
    assert "搜索服务暂时不可用，按最新上架显示" in page.text
    assert page.text.index("上犹腊肉") < page.text.index("上犹绿茶")


async def test_the_notice_is_absent_when_the_backend_answers(
    client: httpx.AsyncClient, empty_index: None
) -> None:
    page = await client.get("/products")
    assert page.status_code == 200
    assert "搜索服务暂时不可用" not in page.text
    assert (await _search(client))["degraded"] is False


class _RefusingBackend:
    """A backend that refuses every query, as Meilisearch does with an invalid one."""

    name = "refusing"

    async def search(self, query: SearchQuery, today: date) -> SearchResult:
        raise InvalidQuery("refused", {"text": "cannot be searched"})

    async def index(
        self, docs: list[ProductDocument], *, texts_as_indexed: bool = False
    ) -> None: ...

    async def delete(self, ids: list[int]) -> None: ...

    async def clear(self) -> None: ...

    async def ensure_ready(self) -> None: ...

    async def health(self) -> bool:
        return True


async def test_a_query_the_backend_refuses_is_a_422_in_the_error_form(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    app.state.search = _RefusingBackend()

    response = await client.get("/api/v1/products", params={"q": "脐橙"})

    error = assert_error(response, 422, "invalid_search_query")
    assert error["fields"] == {"q": "cannot be searched"}
    page = await client.get("/products", params={"q": "脐橙"})
    assert page.status_code == 422


# ---------------------------------------------------------------------------------------------
# Hostile queries


HOSTILE = [
    '"脐橙',
    '"赣南" AND "脐橙"',
    "脐橙 OR 1=1",
    "NOT 脐橙",
    "脐橙*",
    "qi*",
    "title:脐橙",
    "NEAR(脐橙 赣南)",
    "^脐橙",
    "{脐橙}",
    "(脐橙",
    "' OR '1'='1",
    "'; DROP TABLE products; --",
    "%' UNION SELECT 1 --",
    "\\",
    "🍊🍊🍊",
    "脐橙🍊",
    "\u202e脐橙",
    "\u200b",
    "-",
    "!@#$%^&*()",
    "ｑｉｃｈｅｎｇ",
]


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_queries_answer_results_or_a_clean_4xx(
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    empty_index: None,
    text: str,
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    await create_product(client, supplier, title="赣南脐橙")
    await runner.run_until_idle()

    for path in ("/api/v1/products", "/products"):
        response = await client.get(path, params={"q": text})
        assert response.status_code in (200, 422), (path, response.status_code, response.text)
        if path.startswith("/api") and response.status_code == 200:
            assert response.json()["degraded"] is False


@pytest.mark.parametrize("length", [100, 101, 10_000])
async def test_long_queries_are_answered_or_refused_cleanly(
    client: httpx.AsyncClient, empty_index: None, length: int
) -> None:
    # Latin letters: 10,000 Chinese characters percent-encoded pass httpx's URL limit.
    response = await client.get("/api/v1/products", params={"q": "q" * length})
    if length <= 100:
        assert response.status_code == 200, response.text
    else:
        error = assert_error(response, 422, "validation_failed")
        assert "q" in error["fields"]
    page = await client.get("/products", params={"q": "a" * length})
    assert page.status_code in (200, 422)


async def test_the_job_count_stays_put_when_nothing_listed_changes(
    client: httpx.AsyncClient, database: Database, empty_index: None
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    before = await _jobs(database)

    response = await client.post(
        f"/api/v1/cooperatives/{supplier.id}/products",
        json={"title": "x", "category": "fruit", "unit": "箱", "skus": [sku(price_fen=-1)]},
        headers=supplier.headers,
    )

    assert_error(response, 422, "validation_failed")
    assert len(await _jobs(database)) == len(before)
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == len(before)


async def test_a_catalog_write_shows_at_once_though_the_listing_is_cached(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, empty_index: None
) -> None:
    supplier = await create_supplier(database, county_code=PLAIN_COUNTY)
    created = await create_product(client, supplier, title="上犹绿茶", skus=[sku(stock=5)])
    await runner.run_until_idle()
    [before] = (await _search(client))["items"]
    assert (before["in_stock"], before["min_price_fen"]) == (True, 3980)

    response = await client.patch(
        f"/api/v1/skus/{created['skus'][0]['id']}",
        json={"stock": 0, "price_fen": 4500},
        headers=supplier.headers,
    )
    assert response.status_code == 200, response.text

    # The job has not run: the index still holds the old document, the page shows the tables.
    [after] = (await _search(client))["items"]
    assert (after["in_stock"], after["min_price_fen"]) == (False, 4500)
