"""Meilisearch without a server: settings as data, filter building, documents, clean failures."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest

from search import Analyzer, ProductQuery, SearchUnavailable
from search.meili import (
    MeiliBackend,
    build_filter,
    day_number,
    meili_document,
    quote,
    sort_of,
)
from search.meili_settings import (
    FILTERABLE_ATTRIBUTES,
    RANKING_RULES,
    SEARCHABLE_ATTRIBUTES,
    SORTABLE_ATTRIBUTES,
    index_settings,
)
from search.synonyms import SYNONYM_GROUPS
from tests.search.catalogue import BY_ID, TODAY

NOBODY = "http://127.0.0.1:1"  # nothing listens on port 1


def test_settings_are_complete_and_consistent_with_documents(analyzer: Analyzer) -> None:
    settings = index_settings()
    assert settings["rankingRules"] == RANKING_RULES
    assert "key_assistance_rank:desc" in RANKING_RULES
    assert RANKING_RULES.index("key_assistance_rank:desc") > RANKING_RULES.index("exactness")
    assert RANKING_RULES.index("published_ts:desc") > RANKING_RULES.index(
        "key_assistance_rank:desc"
    )
    assert settings["typoTolerance"]["minWordSizeForTypos"] == {"oneTypo": 5, "twoTypos": 9}
    assert settings["displayedAttributes"] == ["id"]
    doc = meili_document(BY_ID[1], analyzer)
    for attribute in (*SEARCHABLE_ATTRIBUTES, *FILTERABLE_ATTRIBUTES, *SORTABLE_ATTRIBUTES):
        assert attribute in doc, attribute
    assert "key_assistance_rank" in doc


def test_synonyms_come_from_the_same_data() -> None:
    synonyms = index_settings()["synonyms"]
    assert set(synonyms["土豆"]) == {"马铃薯", "洋芋", "山药蛋"}
    assert "奇异果" in synonyms["猕猴桃"] and "猕猴桃" in synonyms["奇异果"]
    assert {word for group in SYNONYM_GROUPS for word in group} == set(synonyms)
    for word, others in synonyms.items():
        assert word not in others


def test_document_shape(analyzer: Analyzer) -> None:
    doc = meili_document(BY_ID[12], analyzer)  # 宁夏中宁枸杞, GI until 2026-12-31
    assert doc["id"] == 12
    assert doc["labels"] == ["gi"]
    assert doc["label_until"] == {"gi": 20261231}
    assert doc["province_facet"] == "640000|宁夏回族自治区"
    assert doc["prefecture_code"] == "640500"
    assert doc["category_facet"] == "nuts|干果坚果"
    assert doc["key_assistance"] is False and doc["key_assistance_rank"] == 0
    assert "gouqi" in doc["title_pinyin"].split()
    assert "zhongning" in doc["place_pinyin"].split()
    assert isinstance(doc["published_ts"], int)
    no_expiry = meili_document(BY_ID[28], analyzer)  # green_food with a far date
    assert no_expiry["label_until"] == {"green_food": 20281231}
    assert no_expiry["label_from"] == {"green_food": 0}  # no start date: already valid


def test_day_number() -> None:
    assert day_number(date(2026, 11, 28)) == 20261128
    assert day_number(date(2027, 1, 1)) > day_number(date(2026, 12, 31))


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("450000", '"450000"'),
        ('gi" OR labels EXISTS', '"gi\\" OR labels EXISTS"'),
        ("back\\slash", '"back\\\\slash"'),
        ("", '""'),
    ],
)
def test_quote(value: str, quoted: str) -> None:
    assert quote(value) == quoted


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, None),
        (
            {"province": "450000", "label": "gi", "min_price_fen": 100},
            'province_code = "450000" AND labels = "gi" AND label_until.gi >= 20261128'
            " AND label_from.gi <= 20261128 AND min_price_fen >= 100",
        ),
        (
            {"county": "360734", "category": "fruit", "key_assistance": True, "in_stock": False},
            'county_code = "360734" AND category = "fruit" AND key_assistance = true'
            " AND in_stock = false",
        ),
        ({"max_price_fen": 0}, "min_price_fen <= 0"),
        ({"prefecture": "513400"}, 'prefecture_code = "513400"'),
        (
            # A regional brand is a label of its own, valid like a certificate's label.
            {"label": "gi", "brand": "brand_7"},
            'labels = "gi" AND label_until.gi >= 20261128 AND label_from.gi <= 20261128'
            ' AND labels = "brand_7" AND label_until.brand_7 >= 20261128'
            " AND label_from.brand_7 <= 20261128",
        ),
        (
            {"min_price_fen": 500, "max_price_fen": 900},
            "min_price_fen >= 500 AND min_price_fen <= 900",
        ),
    ],
)
def test_build_filter(values: dict[str, Any], expected: str | None) -> None:
    assert build_filter(ProductQuery(**values), TODAY) == expected


def test_build_filter_leaves_out_the_facets_own_filter() -> None:
    query = ProductQuery(province="450000", category="fruit", label="gi")
    assert "province_code" not in (build_filter(query, TODAY, skip="province") or "")
    assert "category" not in (build_filter(query, TODAY, skip="category") or "")
    assert "labels" not in (build_filter(query, TODAY, skip="label") or "")
    assert build_filter(query, TODAY, skip="label") == (
        'province_code = "450000" AND category = "fruit"'
    )


def test_sorts() -> None:
    assert sort_of(ProductQuery()) is None
    assert sort_of(ProductQuery(sort="price_asc")) == ["min_price_fen:asc"]
    assert sort_of(ProductQuery(sort="price_desc")) == ["min_price_fen:desc"]
    assert sort_of(ProductQuery(sort="newest")) == ["published_ts:desc"]
    assert sort_of(ProductQuery(sort="rating")) == ["rating_milli:desc", "rating_count:desc"]


async def test_a_server_that_is_down_is_unavailable_quickly(analyzer: Analyzer) -> None:
    backend = MeiliBackend(NOBODY, "key", timeout_seconds=2, analyzer=analyzer)
    started = time.perf_counter()
    assert await backend.health() is False
    with pytest.raises(SearchUnavailable) as caught:
        await backend.search(ProductQuery(text="脐橙"), TODAY)
    assert caught.value.code == "search_unavailable"
    with pytest.raises(SearchUnavailable):
        await backend.index([BY_ID[1]])
    with pytest.raises(SearchUnavailable):
        await backend.delete([1])
    with pytest.raises(SearchUnavailable):
        await backend.clear()
    with pytest.raises(SearchUnavailable):
        await backend.ensure_ready()
    assert time.perf_counter() - started < 5  # refused at once: no timeout was waited for


async def test_a_malformed_url_is_unavailable_too(analyzer: Analyzer) -> None:
    backend = MeiliBackend("127.0.0.1:1", analyzer=analyzer)  # no scheme
    assert await backend.health() is False
    with pytest.raises(SearchUnavailable):
        await backend.search(ProductQuery(), TODAY)


def test_search_requests_page_then_one_query_per_facet(analyzer: Analyzer) -> None:
    backend = MeiliBackend(NOBODY, analyzer=analyzer)
    query = ProductQuery(
        text="宁夏中宁枸杞", province="640000", label="gi", sort="price_asc", page=2, per_page=10
    )
    main, province, category, label = backend.search_requests(query, TODAY)
    assert main["q"] == "宁夏 中宁 枸杞"  # cut with the app's dictionary
    assert (main["page"], main["hitsPerPage"], main["sort"]) == (2, 10, ["min_price_fen:asc"])
    assert main["matchingStrategy"] == "all"
    assert main["filter"] == build_filter(query, TODAY)
    assert "facets" not in main
    assert province["facets"] == ["province_facet"] and "province_code" not in province["filter"]
    assert category["facets"] == ["category_facet"] and "province_code" in category["filter"]
    assert label["facets"] == ["labels"] and "labels" not in label["filter"]
    for facet in (province, category, label):
        assert (facet["page"], facet["hitsPerPage"]) == (1, 0)
    assert len(backend.search_requests(ProductQuery(facets=False), TODAY)) == 1


@pytest.mark.parametrize(
    ("text", "q"),
    [
        ('"脐橙"', "脐橙"),  # not a phrase query
        ("- 脐橙", "脐橙"),  # not a negation
        ("NOT 脐橙 OR 枸杞", "not 脐橙 枸杞"),
        ("新鲜的脐橙", "新鲜 脐橙"),
        ("🍊\x00", ""),
    ],
)
def test_query_text_sends_words_not_syntax(analyzer: Analyzer, text: str, q: str) -> None:
    backend = MeiliBackend(NOBODY, analyzer=analyzer)
    assert backend.query_text(ProductQuery(text=text)) == q
