"""The facet summaries of the embedded index (search schema version 3 on SQLite, 5 on
PostgreSQL), and on PostgreSQL the text matches' columns kept beside their vectors.

Triggers keep two small tables of counts in step with the index rows: products per
(province, category, county, key assistance, stock), and the labels valid on one day per the
same columns. A listing without text or price range counts its facets from them. These
tests hold them to a recount from the rows after every kind of write, show the label summary
following the date, and show which statements a listing reads them in. That the facets
themselves are right is the behaviour suite's brute-force count (tests/search/test_behaviour).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Table, func, or_, select, update

from app.core.db import Database
from search import ProductQuery
from search.embedded import schema
from search.embedded.backend import EmbeddedBackend
from tests.search.catalogue import BY_ID, DOCUMENTS, GOUQI_GI_UNTIL, TODAY
from tests.search.conftest import embedded_only

postgres_only = pytest.mark.parametrize("target", ["embedded-postgresql"], indirect=True)

_KEY = ("province_code", "category", "county_code", "key_assistance", "in_stock")


async def _summary_day(database: Database) -> date | None:
    async with database.reader() as session:
        day: date | None = await session.scalar(select(schema.label_counts_day.c.day))
    return day


def _key(table: Table) -> list[ColumnElement[Any]]:
    return [table.c[name] for name in _KEY]


async def _assert_summaries_match_the_rows(database: Database) -> None:
    products, labels = schema.products, schema.labels
    async with database.reader() as session:
        summary = schema.product_counts
        kept = set((await session.execute(select(*_key(summary), summary.c.n))).all())
        recount = select(*_key(products), func.count()).group_by(*_key(products))
        assert kept == set((await session.execute(recount)).all())

        day = await _summary_day(database)
        summary = schema.label_counts
        key = [summary.c.label, *_key(summary)]
        kept_labels = set((await session.execute(select(*key, summary.c.n))).all())
        if day is None:
            assert kept_labels == set()
            return
        key = [labels.c.label, *_key(labels)]
        recount = (
            select(*key, func.count())
            .where(
                or_(labels.c.valid_until.is_(None), labels.c.valid_until >= day),
                or_(labels.c.valid_from.is_(None), labels.c.valid_from <= day),
            )
            .group_by(*key)
        )
        assert kept_labels == set((await session.execute(recount)).all())


@embedded_only
async def test_the_summaries_equal_a_recount_after_every_kind_of_write(
    embedded: EmbeddedBackend, database: Database
) -> None:
    await embedded.search(ProductQuery(), TODAY)  # the label summary counts for TODAY
    assert await _summary_day(database) == TODAY
    await _assert_summaries_match_the_rows(database)
    moved, dropped = BY_ID[13], BY_ID[1]
    elsewhere = BY_ID[5]
    changed = dataclasses.replace(
        moved,
        province_code=elsewhere.province_code,
        province_name=elsewhere.province_name,
        county_code=elsewhere.county_code,
        county_name=elsewhere.county_name,
        key_assistance=not moved.key_assistance,
        in_stock=not moved.in_stock,
        labels=["organic", "green_food"],
        label_valid_until={"organic": TODAY - timedelta(days=1)},  # expired: not counted
    )
    try:
        await embedded.index([changed])
        await _assert_summaries_match_the_rows(database)
        await embedded.delete([dropped.id])
        await _assert_summaries_match_the_rows(database)
        result = await embedded.search(ProductQuery(facets=True), TODAY)
        assert result.total == len(DOCUMENTS) - 1
    finally:
        await embedded.index([moved, dropped])
    await _assert_summaries_match_the_rows(database)


@embedded_only
async def test_the_summaries_follow_rows_updated_in_place(
    embedded: EmbeddedBackend, database: Database
) -> None:
    """The index replaces rows (delete, insert), but an UPDATE of the counted columns is kept
    exact too."""
    await embedded.search(ProductQuery(), TODAY)
    product = BY_ID[5]
    try:
        async with database.writer() as session, session.begin():
            await session.execute(
                update(schema.products)
                .where(schema.products.c.id == product.id)
                .values(in_stock=not product.in_stock, category="other")
            )
            await session.execute(
                update(schema.labels)
                .where(schema.labels.c.product_id == product.id)
                .values(in_stock=not product.in_stock, valid_until=TODAY - timedelta(days=1))
            )
        await _assert_summaries_match_the_rows(database)
    finally:
        await embedded.index([product])
    await _assert_summaries_match_the_rows(database)


@embedded_only
async def test_the_label_summary_follows_the_day_it_is_searched_on(
    embedded: EmbeddedBackend, database: Database
) -> None:
    def gi_count(facets: dict[str, Any]) -> int:
        return int({f.value: f.count for f in facets["label"]}.get("gi", 0))

    expected_before = sum("gi" in doc.labels_valid_on(GOUQI_GI_UNTIL) for doc in DOCUMENTS)
    after = GOUQI_GI_UNTIL + timedelta(days=1)
    expected_after = sum("gi" in doc.labels_valid_on(after) for doc in DOCUMENTS)
    assert expected_after < expected_before  # the catalogue has a label ending that day
    try:
        before = await embedded.search(ProductQuery(), GOUQI_GI_UNTIL)
        assert await _summary_day(database) == GOUQI_GI_UNTIL
        assert gi_count(before.facets) == expected_before
        # The first search of the next day counts from the rows, then rebuilds for that day.
        first = await embedded.search(ProductQuery(), after)
        assert await _summary_day(database) == after
        second = await embedded.search(ProductQuery(), after)
        assert gi_count(first.facets) == gi_count(second.facets) == expected_after
        await _assert_summaries_match_the_rows(database)
    finally:
        await embedded.search(ProductQuery(), TODAY)


@embedded_only
async def test_in_the_callers_transaction_a_summary_of_another_day_is_not_used_or_rebuilt(
    embedded: EmbeddedBackend, database: Database
) -> None:
    await embedded.search(ProductQuery(), GOUQI_GI_UNTIL)
    after = GOUQI_GI_UNTIL + timedelta(days=1)
    expected = sum("gi" in doc.labels_valid_on(after) for doc in DOCUMENTS)
    try:
        async with database.writer() as session, session.begin():
            result = await embedded.in_session(session).search(ProductQuery(label="gi"), after)
        assert result.total == expected
        assert {f.value: f.count for f in result.facets["label"]}["gi"] == expected
        # Rebuilding would need a second writer while the caller holds the lock.
        assert await _summary_day(database) == GOUQI_GI_UNTIL
    finally:
        await embedded.search(ProductQuery(), TODAY)


def _reads(statement: str, table: str) -> bool:
    return re.search(rf"\b{table}\b", statement) is not None


@embedded_only
@pytest.mark.parametrize(
    "filters",
    [{}, {"province": "360000", "in_stock": True}, {"label": "gi", "county": "360734"}],
    ids=str,
)
async def test_a_listing_without_text_counts_its_facets_from_the_summaries(
    embedded: EmbeddedBackend, statements: list[str], filters: dict[str, Any]
) -> None:
    await embedded.search(ProductQuery(), TODAY)  # the label summary counts for TODAY
    statements.clear()
    await embedded.search(ProductQuery(**filters), TODAY)
    counting = [s for s in statements if _reads(s, "search_product_counts|search_label_counts")]
    assert len(counting) == 1
    assert not _reads(counting[0], "search_products|search_product_labels")


@embedded_only
async def test_a_price_range_or_a_text_counts_from_the_rows(
    embedded: EmbeddedBackend, statements: list[str]
) -> None:
    for query in (ProductQuery(min_price_fen=5_000), ProductQuery(text="脐橙")):
        statements.clear()
        await embedded.search(query, TODAY)
        assert not any(_reads(s, "search_label_counts") for s in statements)


@postgres_only
async def test_a_text_query_counts_and_pages_from_one_search_of_the_vectors(
    embedded: EmbeddedBackend, statements: list[str]
) -> None:
    """PostgreSQL: the matches carry their filter and sort columns, so a text query with
    facets is one statement that never reads search_products."""
    everything = await embedded.search(ProductQuery(text="苹果", per_page=50), TODAY)
    statements.clear()
    result = await embedded.search(ProductQuery(text="苹果", in_stock=True, per_page=50), TODAY)
    searching = [s for s in statements if _reads(s, "search_product_vectors")]
    assert len(searching) == 1
    assert not _reads(searching[0], "search_products")
    expected = [product_id for product_id in everything.ids if BY_ID[product_id].in_stock]
    assert 0 < len(expected) < len(everything.ids)
    assert result.ids == expected
    assert result.total == len(expected)


@postgres_only
async def test_the_matches_columns_follow_a_product_updated_in_place(
    embedded: EmbeddedBackend, database: Database
) -> None:
    product = next(doc for doc in DOCUMENTS if "脐橙" in doc.title and doc.in_stock)
    query = ProductQuery(text="脐橙", in_stock=False, sort="price_asc")
    assert product.id not in (await embedded.search(query, TODAY)).ids
    try:
        async with database.writer() as session, session.begin():
            await session.execute(
                update(schema.products)
                .where(schema.products.c.id == product.id)
                .values(in_stock=False, min_price_fen=1)
            )
        result = await embedded.search(query, TODAY)
        assert result.ids[0] == product.id
    finally:
        await embedded.index([product])
    assert product.id not in (await embedded.search(query, TODAY)).ids


@embedded_only
async def test_a_price_range_counted_through_the_summaries_gives_whole_numbers(
    embedded: EmbeddedBackend,
) -> None:
    """PostgreSQL sums counts as numerics: the total and the facets stay ints, which the
    API writes as numbers."""
    result = await embedded.search(ProductQuery(min_price_fen=3_000, max_price_fen=6_000), TODAY)
    expected = sum(3_000 <= doc.min_price_fen <= 6_000 for doc in DOCUMENTS)
    assert type(result.total) is int and result.total == expected > 0
    assert all(type(facet.count) is int for facet in result.facets["province"])


@postgres_only
async def test_a_search_does_not_wait_for_an_index_writer_to_rebuild_the_label_summary(
    embedded: EmbeddedBackend, database: Database
) -> None:
    """PostgreSQL: index writers hold an advisory lock for their transaction; the first search
    of a new day counts from the rows meanwhile and leaves the rebuild to a later search."""
    await embedded.search(ProductQuery(), GOUQI_GI_UNTIL)
    after = GOUQI_GI_UNTIL + timedelta(days=1)
    expected = sum("gi" in doc.labels_valid_on(after) for doc in DOCUMENTS)
    try:
        async with database.writer() as writer, writer.begin():
            await embedded.in_session(writer).index([BY_ID[5]])  # takes the writers' lock
            result = await asyncio.wait_for(embedded.search(ProductQuery(), after), 10)
            assert {f.value: f.count for f in result.facets["label"]}["gi"] == expected
            assert await _summary_day(database) == GOUQI_GI_UNTIL
        await embedded.search(ProductQuery(), after)
        assert await _summary_day(database) == after
        await _assert_summaries_match_the_rows(database)
    finally:
        await embedded.search(ProductQuery(), TODAY)
