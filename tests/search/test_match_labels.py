"""PostgreSQL (search schema version 6): each product's labels beside its vectors, so that a
text query's label filter, brand and label facet come from its matches without a join.

Triggers keep the arrays equal to the label rows: these tests hold them to the rows after
every kind of write, and show which table a text query with a label reads. That the results
are right is the behaviour suite's (tests/search/test_behaviour), which runs on both
databases and compares text queries with facets to the same queries without.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, insert, text, update

from app.core.db import Database
from search import ProductQuery
from search.embedded import schema
from search.embedded.backend import EmbeddedBackend
from tests.search.catalogue import BY_ID, DOCUMENTS, GOUQI_GI_UNTIL, TODAY

postgres_only = pytest.mark.parametrize("target", ["embedded-postgresql"], indirect=True)
# The product's columns a label row carries.
_COPIED = (
    "province_code",
    "category",
    "county_code",
    "key_assistance",
    "in_stock",
    "min_price_fen",
)

# What the arrays must hold, recounted from the label rows: open days as -infinity/infinity
# (read as text: Python's dates have no infinity).
_FROM_ROWS = text(
    """SELECT product_id,
        array_agg(label ORDER BY label)::text,
        array_agg(coalesce(valid_from, '-infinity') ORDER BY label)::text,
        array_agg(coalesce(valid_until, 'infinity') ORDER BY label)::text
    FROM search_product_labels GROUP BY product_id"""
)
_KEPT = text(
    """SELECT id, labels::text, label_valid_from::text, label_valid_until::text
    FROM search_product_vectors
    WHERE labels IS NOT NULL OR label_valid_from IS NOT NULL OR label_valid_until IS NOT NULL"""
)


async def _assert_arrays_match_the_rows(database: Database) -> None:
    async with database.reader() as session:
        recount = {row[0]: tuple(row[1:]) for row in (await session.execute(_FROM_ROWS)).all()}
        kept = {row[0]: tuple(row[1:]) for row in (await session.execute(_KEPT)).all()}
    assert kept == recount


@postgres_only
async def test_the_label_arrays_equal_the_label_rows_after_every_kind_of_write(
    embedded: EmbeddedBackend, database: Database
) -> None:
    await _assert_arrays_match_the_rows(database)
    unlabelled = next(doc for doc in DOCUMENTS if not doc.labels)
    labelled = next(doc for doc in DOCUMENTS if doc.labels)
    relabelled = dataclasses.replace(
        unlabelled,
        labels=["organic", "gi"],
        label_valid_from={"organic": TODAY + timedelta(days=3)},
        label_valid_until={"gi": TODAY + timedelta(days=30)},
    )
    try:
        stripped = dataclasses.replace(
            labelled, labels=[], label_valid_from={}, label_valid_until={}
        )
        await embedded.index([relabelled, stripped])
        await _assert_arrays_match_the_rows(database)
        await embedded.delete([relabelled.id])
        await _assert_arrays_match_the_rows(database)
        await embedded.index([relabelled])
        # Label rows written on their own, after the product's vectors exist.
        labels = schema.labels
        async with database.writer() as session, session.begin():
            await session.execute(
                update(labels)
                .where(labels.c.product_id == relabelled.id, labels.c.label == "gi")
                .values(valid_until=TODAY - timedelta(days=1))
            )
        await _assert_arrays_match_the_rows(database)
        async with database.writer() as session, session.begin():
            await session.execute(
                delete(labels).where(labels.c.product_id == relabelled.id, labels.c.label == "gi")
            )
            await session.execute(
                insert(labels).values(
                    product_id=labelled.id,
                    label="brand_7",
                    valid_until=None,
                    valid_from=TODAY,
                    **{name: getattr(labelled, name) for name in _COPIED},
                )
            )
        await _assert_arrays_match_the_rows(database)
        async with database.writer() as session, session.begin():
            await session.execute(delete(labels).where(labels.c.product_id == relabelled.id))
        await _assert_arrays_match_the_rows(database)
    finally:
        await embedded.index([unlabelled, labelled])
    await _assert_arrays_match_the_rows(database)


@postgres_only
@pytest.mark.parametrize("today", [GOUQI_GI_UNTIL, GOUQI_GI_UNTIL + timedelta(days=1)], ids=str)
async def test_a_text_query_with_a_label_and_a_brand_reads_only_the_vectors(
    embedded: EmbeddedBackend, statements: list[str], today: date
) -> None:
    query = ProductQuery(text="枸杞", label="gi", brand="gi", per_page=50)
    result = await embedded.search(query, today)
    searching = [s for s in statements if "search_product" in s]
    assert len(searching) == 1
    assert set(re.findall(r"\bsearch_product\w*", searching[0])) == {"search_product_vectors"}
    # The same text without facets: counted and paged through search_products, no arrays.
    unlabelled = ProductQuery(text="枸杞", per_page=50, facets=False)
    matched = (await embedded.search(unlabelled, today)).ids
    expected = [i for i in matched if "gi" in BY_ID[i].labels_valid_on(today)]
    assert (12 in expected) == (today <= GOUQI_GI_UNTIL)  # its label's last day
    assert result.ids == expected
    gi = {facet.value: facet.count for facet in result.facets["label"]}.get("gi", 0)
    assert result.total == gi == len(expected)
