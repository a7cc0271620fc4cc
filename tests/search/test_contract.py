"""The contract with the app: ProductDocument and ProductQuery refuse bad values field by field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from search import InvalidDocument, InvalidQuery, ProductDocument, ProductQuery, SearchResult
from search.query import MAX_TEXT_CHARS
from tests.search.catalogue import BY_ID


def _document(**changes: Any) -> ProductDocument:
    return dataclasses.replace(BY_ID[1], **changes)


def test_a_valid_document_is_normalised_and_frozen() -> None:
    doc = _document(labels=["gi", "organic", "gi"], label_valid_until={"gi": date(2027, 1, 31)})
    assert doc.labels == ("gi", "organic")
    with pytest.raises(TypeError):
        doc.label_valid_until["organic"] = date(2030, 1, 1)  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.title = "x"  # type: ignore[misc]


def test_labels_expire_after_their_last_valid_day() -> None:
    doc = _document(labels=["gi", "organic"], label_valid_until={"gi": date(2026, 12, 31)})
    assert doc.labels_valid_on(date(2026, 12, 31)) == ("gi", "organic")
    assert doc.labels_valid_on(date(2027, 1, 1)) == ("organic",)  # no date: no expiry


def test_labels_hold_from_their_first_valid_day() -> None:
    doc = _document(
        labels=["gi", "organic"],
        label_valid_from={"gi": date(2027, 3, 1)},
        label_valid_until={"gi": date(2028, 2, 28)},
    )
    assert doc.labels_valid_on(date(2027, 2, 28)) == ("organic",)
    assert doc.labels_valid_on(date(2027, 3, 1)) == ("gi", "organic")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": 0}, "id"),
        ({"id": True}, "id"),
        ({"id": "7"}, "id"),
        ({"title": "  "}, "title"),
        ({"title": "橙" * 201}, "title"),
        ({"title": "脐\x00橙"}, "title"),
        ({"description_text": None}, "description_text"),
        ({"category": "Fruit"}, "category"),
        ({"category": "fruit; drop"}, "category"),
        ({"county_code": "36073"}, "county_code"),
        ({"county_code": "３６０７３４"}, "county_code"),  # full-width digits
        ({"county_code": "450123"}, "county_code"),  # not in province 360000
        ({"province_code": "360700"}, "province_code"),
        ({"min_price_fen": 59.5}, "min_price_fen"),
        ({"min_price_fen": -1}, "min_price_fen"),
        ({"max_price_fen": 100}, "max_price_fen"),  # below min_price_fen
        ({"max_price_fen": 10**16}, "max_price_fen"),
        ({"key_assistance": 1}, "key_assistance"),
        ({"in_stock": "yes"}, "in_stock"),
        ({"published_at": datetime(2026, 11, 1)}, "published_at"),  # noqa: DTZ001 (refused: naive)
        ({"labels": "gi"}, "labels"),
        ({"labels": ["GI"]}, "labels"),
        ({"label_valid_until": {"organic": date(2027, 1, 1)}}, "label_valid_until"),
        ({"label_valid_until": {"gi": "2027-01-01"}}, "label_valid_until"),
        ({"label_valid_from": {"organic": date(2027, 1, 1)}}, "label_valid_from"),
        ({"label_valid_from": {"gi": "2027-01-01"}}, "label_valid_from"),
        (
            {
                "label_valid_from": {"gi": date(2027, 1, 2)},
                "label_valid_until": {"gi": date(2027, 1, 1)},
            },
            "label_valid_from",
        ),
        ({"label_valid_until": {"gi": datetime(2027, 1, 1, tzinfo=UTC)}}, "label_valid_until"),
        ({"popularity": -5}, "popularity"),
        ({"rating_milli": 5001}, "rating_milli"),
        ({"rating_milli": 4.5}, "rating_milli"),
        ({"rating_count": -1}, "rating_count"),
    ],
)
def test_bad_documents_are_refused_with_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidDocument) as caught:
        _document(**changes)
    assert caught.value.code == "invalid_document"
    assert field in caught.value.fields


def test_query_defaults() -> None:
    query = ProductQuery()
    assert (query.text, query.sort, query.page, query.per_page, query.facets) == (
        "",
        "relevance",
        1,
        24,
        True,
    )
    assert ProductQuery(page=3, per_page=10).offset == 20


def test_query_text_is_normalised_and_cut() -> None:
    assert ProductQuery(text="  ＱＩＣＨＥＮＧ\x00  脐橙 ").text == "QICHENG 脐橙"
    assert len(ProductQuery(text="橙" * 10_000).text) == MAX_TEXT_CHARS


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"text": 5}, "text"),
        ({"province": "45"}, "province"),
        ({"province": "450100"}, "province"),  # a prefecture, not a province
        ({"province": "45000０"}, "province"),
        ({"county": "ABCDEF"}, "county"),
        ({"county": "360734' OR 1=1"}, "county"),
        ({"prefecture": "640000"}, "prefecture"),  # a province, not a prefecture
        ({"prefecture": "640521"}, "prefecture"),  # a county
        ({"prefecture": "6405"}, "prefecture"),
        ({"category": "水果"}, "category"),
        ({"category": ""}, "category"),
        ({"label": "gi)"}, "label"),
        ({"key_assistance": "true"}, "key_assistance"),
        ({"in_stock": 1}, "in_stock"),
        ({"min_price_fen": 1.5}, "min_price_fen"),
        ({"min_price_fen": -1}, "min_price_fen"),
        ({"min_price_fen": True}, "min_price_fen"),
        ({"max_price_fen": "100"}, "max_price_fen"),
        ({"min_price_fen": 500, "max_price_fen": 100}, "max_price_fen"),
        ({"sort": "popular"}, "sort"),
        ({"page": 0}, "page"),
        ({"page": 10_001}, "page"),
        ({"page": 2.0}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"facets": None}, "facets"),
    ],
)
def test_bad_queries_are_refused_with_the_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        ProductQuery(**values)
    assert caught.value.code == "invalid_query"
    assert field in caught.value.fields


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidQuery) as caught:
        ProductQuery(page=0, per_page=500, sort="x")  # type: ignore[arg-type]
    assert set(caught.value.fields) == {"page", "per_page", "sort"}


def test_result_pages() -> None:
    result = SearchResult(ids=[], total=49, page=1, per_page=24, backend="sqlite")
    assert result.pages == 3
    assert set(result.facets) == {"province", "category", "label"}
    assert SearchResult(ids=[], total=0, page=1, per_page=24, backend="x").pages == 1
