"""The embedded index: its migration, and writes (replace, delete, clear, the caller's session)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Hashable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, func, inspect, select, text

from app.cli import alembic_config, upgrade_database
from app.core.db import Database, unit_of_work
from migrations.models import Base
from search import ProductQuery, SearchBackend, SearchUnavailable
from search.embedded import schema
from search.embedded.backend import EmbeddedBackend
from tests.conftest import BACKENDS, drop_postgres_database, make_settings, new_database_url
from tests.search.analysis import CountingAnalyzer
from tests.search.catalogue import BY_ID, DOCUMENTS, GOUQI_GI_UNTIL, TODAY
from tests.search.conftest import embedded_only
from tests.sql_statements import listening

# ---------------------------------------------------------------------------------------------
# Schema


def _combined(metadatas: list[MetaData]) -> MetaData:
    combined = MetaData()
    for metadata in metadatas:
        for table in metadata.tables.values():
            table.to_metadata(combined)
    return combined


def _differences(url: str, metadatas: list[MetaData], *, filtered: bool) -> list[object]:
    metadata = _combined(metadatas)

    async def compare() -> list[object]:
        database = Database(url)
        try:
            async with database.engine.connect() as conn:

                def diff(sync_conn: Connection) -> list[object]:
                    opts: dict[str, object] = {"compare_type": True, "render_as_batch": True}
                    if filtered:
                        opts["include_object"] = schema.include_object
                    context = MigrationContext.configure(sync_conn, opts=opts)
                    return list(compare_metadata(context, metadata))

                return await conn.run_sync(diff)
        finally:
            await database.dispose()

    differences = asyncio.run(compare())
    # Only the search tables are this library's business (other domains' drift is theirs).
    return [diff for diff in differences if _table_of(diff).startswith("search_")]


def _table_of(diff: object) -> str:
    """The table name a comparison difference is about."""
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    for part in item[1:]:
        if isinstance(part, str) and part.startswith("search_"):
            return part
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if hasattr(part, "name") and hasattr(part, "columns"):
            return str(part.name)
    return ""


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        database = Database(url)
        try:
            async with database.engine.connect() as conn:
                return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await database.dispose()

    return asyncio.run(read())


@pytest.mark.parametrize("dialect", BACKENDS)
def test_migration_builds_the_tables_of_the_metadata_and_removes_them(
    dialect: str, tmp_path: Path
) -> None:
    url, pg_name = new_database_url(dialect, tmp_path)
    try:
        upgrade_database(make_settings(url, tmp_path / "var"))
        assert set(schema.TABLE_NAMES) <= _tables(url)
        if dialect == "sqlite":
            assert schema.FTS_TABLE in _tables(url)
        # The library's tables match its MetaData; the app's tables match the app's.
        both = [Base.metadata, schema.metadata]
        assert _differences(url, both, filtered=True) == []
        # Without the filter, the FTS5 table (SQLite) or the vectors table (PostgreSQL) is
        # reported: no MetaData can describe it.
        assert _differences(url, both, filtered=False) != []
        # An env.py that knows only the app's models still sees no difference with the filter.
        assert _differences(url, [Base.metadata], filtered=True) == []

        command.downgrade(alembic_config(url), "0004")
        assert not {name for name in _tables(url) if name.startswith("search_")}
        upgrade_database(make_settings(url, tmp_path / "var"))
        assert set(schema.TABLE_NAMES) <= _tables(url)
    finally:
        if pg_name:
            drop_postgres_database(pg_name)


def test_ddl_is_refused_for_other_databases() -> None:
    with pytest.raises(ValueError, match="mysql"):
        schema.upgrade_ddl("mysql")
    with pytest.raises(ValueError, match="mysql"):
        schema.downgrade_ddl("mysql")


async def test_a_database_without_the_tables_is_unavailable(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        backend = EmbeddedBackend(database.writer)
        assert await backend.health() is False
        with pytest.raises(SearchUnavailable):
            await backend.ensure_ready()
        with pytest.raises(SearchUnavailable):
            await backend.search(ProductQuery(text="脐橙"), TODAY)
        with pytest.raises(SearchUnavailable):
            await backend.index(DOCUMENTS[:1])
    finally:
        await database.dispose()


# ---------------------------------------------------------------------------------------------
# Writes (every backend; each test leaves the catalogue as it found it)


async def _ids(backend: SearchBackend, text: str) -> set[int]:
    result = await backend.search(ProductQuery(text=text, per_page=100, facets=False), TODAY)
    return set(result.ids)


async def test_reindexing_a_product_replaces_it(backend: SearchBackend) -> None:
    original = BY_ID[13]  # 靖远枸杞
    changed = dataclasses.replace(
        original, title="靖远黑枸杞 250g/罐", labels=["organic"], category="herbs"
    )
    try:
        await backend.index([changed])
        assert 13 in await _ids(backend, "黑枸杞")
        result = await backend.search(ProductQuery(label="organic", per_page=100), TODAY)
        assert 13 in result.ids
        assert {"herbs"} <= {facet.value for facet in result.facets["category"]}
        total = (await backend.search(ProductQuery(facets=False), TODAY)).total
        assert total == len(DOCUMENTS)  # replaced, not added
    finally:
        await backend.index([original])
    assert 13 not in await _ids(backend, "黑枸杞")
    assert 13 in await _ids(backend, "枸杞")


@embedded_only
async def test_a_stock_change_keeps_the_tokens_of_the_texts_as_indexed(
    embedded: EmbeddedBackend,
) -> None:
    original = BY_ID[13]  # 靖远枸杞, in stock
    # Were its texts analysed again, 黑枸杞 would find it.
    sold_out = dataclasses.replace(original, in_stock=False, title="靖远黑枸杞 250g/罐")
    new = dataclasses.replace(BY_ID[1], id=905, title="测试丙品 1kg", in_stock=False)
    counting = CountingAnalyzer(embedded.analyzer)

    async def in_stock(text: str) -> set[int]:
        result = await embedded.search(
            ProductQuery(text=text, in_stock=True, per_page=100, facets=False), TODAY
        )
        return set(result.ids)

    async def in_stock_total() -> int:
        result = await embedded.search(ProductQuery(per_page=100, in_stock=True), TODAY)
        return result.total

    in_stock_before = await in_stock_total()
    try:
        embedded.analyzer = counting  # type: ignore[assignment]
        await embedded.index([sold_out, new], texts_as_indexed=True)
        # Only the product not indexed yet was analysed.
        assert counting.analysed == [905]
        assert 13 in await _ids(embedded, "枸杞")
        assert 13 not in await _ids(embedded, "黑枸杞")
        assert 13 not in await in_stock("枸杞")
        assert await in_stock_total() == in_stock_before - 1
        assert await _ids(embedded, "丙品") == {905}
    finally:
        embedded.analyzer = counting.analyzer
        await embedded.delete([905])
        await embedded.index([original])
    assert 13 in await in_stock("枸杞")
    assert await in_stock_total() == in_stock_before


async def test_a_label_starting_later_matches_from_its_first_day(backend: SearchBackend) -> None:
    start = TODAY + timedelta(days=10)
    later = dataclasses.replace(
        BY_ID[1],
        id=904,
        labels=["organic"],
        label_valid_from={"organic": start},
        label_valid_until={"organic": start + timedelta(days=365)},
    )

    async def organic(today: date) -> tuple[set[int], int]:
        result = await backend.search(ProductQuery(label="organic", per_page=100), today)
        counts = {facet.value: facet.count for facet in result.facets["label"]}
        unfiltered = await backend.search(ProductQuery(per_page=100), today)
        unfiltered_counts = {facet.value: facet.count for facet in unfiltered.facets["label"]}
        assert counts.get("organic", 0) == unfiltered_counts.get("organic", 0)
        # With a text too (on PostgreSQL: the label read from the matches' own arrays).
        query = ProductQuery(text="脐橙", label="organic", per_page=100)
        texted = await backend.search(query, today)
        assert set(texted.ids) == set(result.ids) & await _ids(backend, "脐橙")
        texted_counts = {facet.value: facet.count for facet in texted.facets["label"]}
        assert texted_counts.get("organic", 0) == texted.total == len(texted.ids)
        return set(result.ids), counts.get("organic", 0)

    before_ids, before_count = await organic(start - timedelta(days=1))
    try:
        await backend.index([later])
        # Decided on each search: no reindex between the two days.
        assert await organic(start - timedelta(days=1)) == (before_ids, before_count)
        on_ids, on_count = await organic(start)
        assert on_ids == before_ids | {904}
        assert 904 in await _ids(backend, "脐橙")  # a copy of an orange: the text finds it
        assert on_count == before_count + 1
    finally:
        await backend.delete([904])


async def test_the_last_document_of_an_id_wins(backend: SearchBackend) -> None:
    first = dataclasses.replace(BY_ID[1], id=901, title="测试甲品 1kg")
    second = dataclasses.replace(BY_ID[1], id=901, title="测试乙品 1kg")
    try:
        await backend.index([first, second])
        assert await _ids(backend, "乙品") == {901}
        assert await _ids(backend, "甲品") == set()
    finally:
        await backend.delete([901])


async def test_delete_removes_products_and_ignores_unknown_ids(backend: SearchBackend) -> None:
    extra = [
        dataclasses.replace(BY_ID[8], id=902, title="测试猕猴桃 1kg"),
        dataclasses.replace(BY_ID[8], id=903, title="测试猕猴桃 2kg"),
    ]
    await backend.index(extra)
    assert {902, 903} <= await _ids(backend, "猕猴桃")
    await backend.delete([902, 903, 999_999])
    await backend.delete([])
    assert await _ids(backend, "猕猴桃") == {8, 9}
    assert (await backend.search(ProductQuery(facets=False), TODAY)).total == len(DOCUMENTS)


async def test_clear_empties_the_index(backend: SearchBackend) -> None:
    try:
        await backend.clear()
        result = await backend.search(ProductQuery(), TODAY)
        assert (result.ids, result.total) == ([], 0)
        assert result.facets == {"province": [], "category": [], "label": []}
    finally:
        await backend.index(DOCUMENTS)
    assert (await backend.search(ProductQuery(facets=False), TODAY)).total == len(DOCUMENTS)


async def test_health(backend: SearchBackend) -> None:
    assert await backend.health() is True


async def test_index_refuses_what_is_not_a_document(backend: SearchBackend) -> None:
    from search import InvalidDocument

    with pytest.raises(InvalidDocument):
        await backend.index([{"id": 1}])  # type: ignore[list-item]
    assert (await backend.search(ProductQuery(facets=False), TODAY)).total == len(DOCUMENTS)


# ---------------------------------------------------------------------------------------------
# The caller's transaction (an outbox job indexing in its own session)


@embedded_only
async def test_writes_in_the_callers_session_follow_its_commit_or_rollback(
    embedded: EmbeddedBackend, database: Database | None
) -> None:
    assert database is not None
    product = dataclasses.replace(BY_ID[2], id=904, title="测试沙糖桔 5kg")

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with unit_of_work(database.writer) as session:
            await embedded.in_session(session).index([product])
            # Visible inside the transaction …
            assert (
                904
                in (
                    await embedded.in_session(session).search(ProductQuery(text="沙糖桔"), TODAY)
                ).ids
            )
            raise Abort
    # … and gone with its rollback.
    assert 904 not in await _ids(embedded, "沙糖桔")

    async with unit_of_work(database.writer) as session:
        await embedded.in_session(session).index([product])
    assert 904 in await _ids(embedded, "沙糖桔")

    async with unit_of_work(database.writer) as session:
        await embedded.in_session(session).delete([904])
    assert 904 not in await _ids(embedded, "沙糖桔")


@embedded_only
async def test_a_search_in_the_callers_session_plans_with_cheap_random_pages_and_restores(
    embedded: EmbeddedBackend, database: Database | None
) -> None:
    """PostgreSQL: the planner setting the library's own reads use applies inside the
    caller's transaction too, and the caller's own value is back after the search."""
    assert database is not None
    if database.dialect != "postgresql":
        pytest.skip("random_page_cost is a PostgreSQL setting")
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "search_product" in statement:  # the products, their labels or vectors
            cursor.execute("SHOW random_page_cost")
            seen.append(cursor.fetchone()[0])

    async with unit_of_work(database.reader) as session:
        await session.execute(text("SET LOCAL random_page_cost = 3"))
        with listening(database, "before_cursor_execute", record):
            result = await embedded.in_session(session).search(ProductQuery(text="脐橙"), TODAY)
        after = await session.scalar(text("SHOW random_page_cost"))

    assert result.total > 0
    assert seen and set(seen) == {"1.1"}
    assert after == "3"


@embedded_only
async def test_fts_rows_follow_the_products_table(
    embedded: EmbeddedBackend, database: Database | None
) -> None:
    """Triggers keep the text index in step: the FTS5 table (SQLite), the vectors table
    (PostgreSQL)."""
    assert database is not None
    async with database.engine.connect() as conn:
        products = await conn.scalar(select(func.count()).select_from(schema.products))
        if database.dialect == "sqlite":
            indexed = await conn.scalar(
                text(f"SELECT count(*) FROM {schema.FTS_TABLE}_docsize")  # noqa: S608
            )
        else:
            indexed = await conn.scalar(text("SELECT count(*) FROM search_product_vectors"))
    assert products == indexed == len(DOCUMENTS)


WALK_QUERIES: list[dict[str, object]] = [
    {},
    {"text": "脐橙"},
    {"text": "马铃薯"},
    {"text": "土豆"},
    {"text": "茶", "per_page": 3, "page": 2},
    {"text": "凉山"},
    {"text": "qicheng", "province": "360000"},
    {"text": "枸杞", "label": "gi"},
    {"province": "510000", "sort": "newest"},
    {"category": "fruit", "sort": "price_asc", "per_page": 5, "page": 2},
    {"sort": "price_desc", "in_stock": True},
    {"label": "gi", "sort": "newest"},
    {"text": "苹果", "sort": "price_desc"},
    {"key_assistance": True, "per_page": 4, "page": 3},
    {"text": "茶", "label": "organic"},
    {"text": "脐橙", "label": "gi", "category": "fruit", "sort": "newest"},
    {"text": "qicheng", "label": "gi", "province": "360000", "sort": "price_asc"},
    {"sort": "rating"},
    {"category": "fruit", "sort": "rating", "per_page": 5, "page": 2},
    {"text": "茶", "sort": "rating"},
    {"text": "脐橙", "label": "gi", "sort": "rating"},
]


@embedded_only
@pytest.mark.parametrize("values", WALK_QUERIES, ids=[str(v) for v in WALK_QUERIES])
async def test_walking_the_order_indexes_gives_the_same_pages(
    embedded: EmbeddedBackend, database: Database | None, values: dict[str, object]
) -> None:
    """Broad listings walk the index of their order (and, with text, relevance tier by tier)
    instead of sorting: with the threshold at 1 every query does, and must page alike."""
    assert database is not None
    walking = EmbeddedBackend(
        database.writer, reader=database.reader, analyzer=embedded.analyzer, walk_from=1
    )
    query = ProductQuery(**values)  # type: ignore[arg-type]
    expected = await embedded.search(query, TODAY)
    got = await walking.search(query, TODAY)
    assert got.ids == expected.ids
    assert (got.total, got.facets) == (expected.total, expected.facets)


@embedded_only
@pytest.mark.parametrize(
    "values",
    [v for v in WALK_QUERIES if "text" in v and "label" in v],
    ids=lambda v: str(v),
)
async def test_pages_found_through_the_label_rows_are_the_same(
    embedded: EmbeddedBackend, database: Database | None, values: dict[str, object]
) -> None:
    """A broad text with a label filter finds its page through the label's rows (SQLite):
    with the threshold at 1 every such query does, and must page alike."""
    assert database is not None
    label_driven = EmbeddedBackend(
        database.writer,
        reader=database.reader,
        analyzer=embedded.analyzer,
        label_driven_from=1,
    )
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    query = ProductQuery(**values)  # type: ignore[arg-type]
    expected = await embedded.search(query, TODAY)
    with listening(database, "before_cursor_execute", record):
        got = await label_driven.search(query, TODAY)
    assert expected.ids  # the catalogue has matches for every one of these
    assert got.ids == expected.ids
    assert (got.total, got.facets) == (expected.total, expected.facets)
    if database.dialect == "sqlite":
        assert any("+search_product_labels.product_id IN" in statement for statement in seen)


# Queries of one shape (the same filters present, sort, and a text with or without words
# expanded by synonyms) with other values.
SAME_SHAPES: list[list[dict[str, Any]]] = [
    [{"province": "360000"}, {"province": "620000"}, {"province": "640000"}],
    [{"text": "茶", "label": "organic"}, {"text": "枸杞", "label": "gi"}],
    [
        {"category": "fruit", "min_price_fen": 3_000, "max_price_fen": 6_000},
        {"category": "vegetables", "min_price_fen": 1_000, "max_price_fen": 9_000},
    ],
    [{"county": "360734", "in_stock": True}, {"county": "420325", "in_stock": False}],
    [
        {"text": "核桃", "sort": "price_asc"},
        {"text": "茶", "sort": "price_asc", "per_page": 3, "page": 2},
    ],
    [{"label": "gi", "key_assistance": True}, {"label": "green_food", "key_assistance": False}],
    [{"label": "gi", "today": TODAY}, {"label": "gi", "today": GOUQI_GI_UNTIL + timedelta(1)}],
    [{"text": "茶"}, {"text": "木耳"}, {"text": "马铃薯"}],
    [{"text": "脐橙"}, {"text": "宁夏"}],
]


@embedded_only
@pytest.mark.parametrize("queries", SAME_SHAPES, ids=[str(q[0]) for q in SAME_SHAPES])
async def test_statements_built_for_one_query_run_with_the_values_of_the_next(
    embedded: EmbeddedBackend, database: Database | None, queries: list[dict[str, Any]]
) -> None:
    """Search statements are kept per shape and run with each query's values: every query
    gives what a backend that never saw the others gives. (walk_from=1: the pages that walk
    an index, and tier by tier, are reused too.)"""
    assert database is not None

    def new_backend() -> EmbeddedBackend:
        return EmbeddedBackend(
            database.writer, reader=database.reader, analyzer=embedded.analyzer, walk_from=1
        )

    shared = new_backend()
    reused: list[Hashable] = []
    build_or_reuse = shared._statement

    def spy(key: Hashable, build: Callable[[], Any]) -> Any:
        if key in shared._statements:
            reused.append(key)
        return build_or_reuse(key, build)

    shared._statement = spy  # type: ignore[method-assign]
    for values in queries:
        today = values.pop("today", TODAY)
        query = ProductQuery(**values)
        got = await shared.search(query, today)
        expected = await new_backend().search(query, today)
        assert (got.ids, got.total, got.facets) == (expected.ids, expected.total, expected.facets)
    assert reused  # statements built for one query ran with the values of the next
