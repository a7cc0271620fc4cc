"""One behavioural suite for every backend: relevance, filters, sorts, pages, facets, hostility.

Each test runs against the embedded index on SQLite and on PostgreSQL, and against
Meilisearch when FENGSHOU_TEST_MEILI_URL is set. The index holds the fixture catalogue.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from search import InvalidQuery, ProductDocument, ProductQuery, SearchBackend, SearchResult
from search.understanding import QueryParser
from tests.search.catalogue import (
    BY_ID,
    DOCUMENTS,
    GOUQI_GI_UNTIL,
    TODAY,
)

ORANGES = {1, 3, 4, 5, 6, 53}
POTATOES = {14, 15, 16, 17, 18, 19, 57}
TEAS = {23, 24, 25, 26, 52, 60}


@dataclass(frozen=True)
class Golden:
    """A query and what its results must look like.

    `first`: the results start with exactly these ids, in this order.
    `first_set`: the first len(first_set) results are these ids, in any order.
    `only`: the result set is exactly these ids; `includes`: at least these.
    """

    text: str
    first: tuple[int, ...] = ()
    first_set: frozenset[int] = frozenset()
    only: frozenset[int] | None = None
    includes: frozenset[int] = frozenset()
    filters: dict[str, Any] = field(default_factory=dict)
    why: str = ""


GOLDEN = [
    Golden("脐橙", first=(1,), only=frozenset(ORANGES), why="word in titles; newest first"),
    Golden("赣南脐橙", first=(1,), only=frozenset({1, 53})),
    Golden("枸杞", first=(12,), only=frozenset({12, 13})),
    Golden("宁夏中宁枸杞", only=frozenset({12}), why="county name added to the dictionary"),
    Golden("中宁", only=frozenset({12})),
    Golden("qicheng", first=(1,), only=frozenset(ORANGES), why="pinyin of a word"),
    Golden("qc", first=(1,), includes=frozenset(ORANGES), why="initials of a word"),
    Golden("gnqc", first=(1,), only=frozenset({1, 53}), why="initials of a run of words"),
    Golden("qichen", first=(1,), only=frozenset(ORANGES), why="one typo (missing letter)"),
    Golden("gannna", first=(1,), only=frozenset({1, 53}), why="one typo (transposition)"),
    Golden("gouqi", first=(12,), only=frozenset({12, 13})),
    Golden("ningxiagouqi", only=frozenset({12}), why="run-together pinyin"),
    Golden("xunwu", first=(2,), only=frozenset({1, 2}), why="pinyin of the county"),
    Golden("土豆", first_set=frozenset({19, 57}), only=frozenset(POTATOES), why="synonyms"),
    Golden("tudou", first_set=frozenset({19, 57}), only=frozenset(POTATOES)),
    Golden("马铃薯", first=(17, 15, 14), only=frozenset(POTATOES), why="key-assistance first"),
    Golden("凉山 马铃薯", first=(15, 14), only=frozenset({14, 15}), why="tie: key before newer"),
    Golden("胡桃", first=(31, 30), only=frozenset({30, 31}), why="synonym, then tie-break"),
    Golden("奇异果", first=(9, 8), only=frozenset({8, 9})),
    Golden("猕猴桃", first=(8, 9), only=frozenset({8, 9})),
    Golden("地瓜", first=(22,), only=frozenset({20, 21, 22})),
    Golden("红薯", first=(20,), includes=frozenset({20, 21, 22})),
    Golden("黑木耳", first_set=frozenset({27, 28}), only=frozenset({27, 28, 29})),
    Golden("木耳", only=frozenset({27, 28, 29}), why="sub-word of 黑木耳"),
    Golden("牦牛", only=frozenset({32, 33})),
    Golden("茶", includes=frozenset(TEAS), why="茶/茶叶 and the character in titles"),
    Golden("蜂蜜", only=frozenset({35, 36})),
    Golden("海椒", only=frozenset({37, 38})),
    Golden("粟米", only=frozenset({34})),
    Golden("冬菇", only=frozenset({40, 41})),
    Golden("落花生", only=frozenset({39})),
    Golden("寻乌", first=(2,), only=frozenset({1, 2}), why="title beats place"),
    Golden("凉山", only=frozenset({14, 15, 47, 48, 49}), why="prefecture name"),
    Golden("橙", includes=frozenset(ORANGES | {7}), why="a single character"),
    Golden("脐橙", only=frozenset({5}), filters={"province": "420000"}, why="text + filter"),
    Golden(
        "脐橙",
        first=(4, 1, 3, 5, 6, 53),
        filters={"sort": "price_asc"},
        why="text + price order (equal prices by id)",
    ),
    Golden("苹果", only=frozenset({10, 11}), filters={"in_stock": True}),
    Golden("马铃薯", only=frozenset({15, 17, 18, 57}), filters={"key_assistance": True}),
]


async def _search(backend: SearchBackend, today: date = TODAY, **values: Any) -> SearchResult:
    values.setdefault("per_page", 100)
    return await backend.search(ProductQuery(**values), today)


async def _all_ids(backend: SearchBackend, today: date = TODAY, **values: Any) -> list[int]:
    """Every id of a query, across pages."""
    ids: list[int] = []
    page = 1
    while True:
        result = await _search(backend, today, page=page, facets=False, **values)
        ids.extend(result.ids)
        if page >= result.pages:
            return ids
        page += 1


@pytest.mark.parametrize("golden", GOLDEN, ids=[f"{g.text}{g.filters or ''}" for g in GOLDEN])
async def test_golden_queries(backend: SearchBackend, golden: Golden) -> None:
    result = await _search(backend, text=golden.text, **golden.filters)
    ids = result.ids
    assert result.total == len(ids)
    assert len(set(ids)) == len(ids)
    if golden.first:
        assert tuple(ids[: len(golden.first)]) == golden.first, _titles(ids)
    if golden.first_set:
        assert set(ids[: len(golden.first_set)]) == golden.first_set, _titles(ids)
    if golden.only is not None:
        assert set(ids) == golden.only, _titles(ids)
    assert golden.includes <= set(ids), _titles(ids)


# Queries as buyers type them, understood first (search.understanding): place words filter by
# place, label words by label, English words are searched in Chinese. `understood` is what the
# parser must make of the text; the results are those of the understood query.
ORGANIC = {25, 35, 41, 44, 60}
MUSHROOMS = {27, 28, 29, 40, 41}
UNDERSTOOD: list[tuple[Golden, dict[str, str | None]]] = [
    (
        Golden("宁夏枸杞", only=frozenset({12}), why="province + text"),
        {"province": "640000", "text": "枸杞"},
    ),
    (Golden("甘肃枸杞", only=frozenset({13})), {"province": "620000", "text": "枸杞"}),
    (Golden("宁夏回族自治区枸杞", only=frozenset({12})), {"province": "640000"}),
    (
        Golden("宁夏", only=frozenset({12, 17, 45, 51, 57}), why="a place alone: all its products"),
        {"province": "640000", "text": ""},
    ),
    (Golden("中宁枸杞", only=frozenset({12})), {"county": "640521", "text": "枸杞"}),
    (Golden("宁夏中宁枸杞", only=frozenset({12})), {"county": "640521", "province": None}),
    (
        Golden("凉山州马铃薯", first=(15, 14), only=frozenset({14, 15}), why="prefecture"),
        {"prefecture": "513400", "text": "马铃薯"},
    ),
    (Golden("西吉 土豆", only=frozenset({17, 57}), why="county + synonyms"), {"county": "640422"}),
    (Golden("重庆 脐橙", only=frozenset({6})), {"province": "500000", "text": "脐橙"}),
    (Golden("有机", only=frozenset(ORGANIC), why="a label word alone"), {"label": "organic"}),
    (Golden("有机茶", only=frozenset({25, 60})), {"label": "organic", "text": "茶"}),
    (Golden("绿色食品 马铃薯", only=frozenset({16})), {"label": "green_food"}),
    (Golden("地理标志 苹果", only=frozenset({10})), {"label": "gi", "text": "苹果"}),
    (Golden("tea", includes=frozenset(TEAS), why="English word"), {"text": "茶"}),
    (Golden("apple", only=frozenset({10, 11, 59})), {"text": "苹果"}),
    (Golden("Apples", only=frozenset({10, 11, 59}), why="plural, any case"), {"text": "苹果"}),
    (Golden("goji", first=(12,), only=frozenset({12, 13})), {"text": "枸杞"}),
    (Golden("honey", only=frozenset({35, 36})), {"text": "蜂蜜"}),
    (Golden("walnuts", only=frozenset({30, 31})), {"text": "核桃"}),
    (Golden("potato", only=frozenset(POTATOES)), {"text": "土豆"}),
    (Golden("mushroom", only=frozenset(MUSHROOMS), why="a category's name"), {"text": "菌菇"}),
    (Golden("black rice", only=frozenset({44})), {"text": "黑米"}),
    (Golden("organic tea", only=frozenset({25, 60})), {"label": "organic", "text": "茶"}),
    (Golden("goji from ningxia", only=frozenset({12})), {"province": "640000", "text": "枸杞"}),
    (Golden("产自宁夏的枸杞", only=frozenset({12})), {"province": "640000"}),
    (Golden("宁夏 有机", only=frozenset()), {"province": "640000", "label": "organic"}),
    (Golden("普洱茶", only=frozenset({26}), why="not the place 普洱"), {"text": "普洱茶"}),
]


@pytest.mark.parametrize(
    ("golden", "understood"), UNDERSTOOD, ids=[golden.text for golden, _ in UNDERSTOOD]
)
async def test_golden_queries_as_buyers_type_them(
    backend: SearchBackend,
    parser: QueryParser,
    golden: Golden,
    understood: dict[str, str | None],
) -> None:
    parsed = parser.parse(golden.text)
    for name, value in understood.items():
        assert getattr(parsed, name) == value, (name, parsed)
    result = await _search(
        backend,
        text=parsed.text,
        province=parsed.province,
        prefecture=parsed.prefecture,
        county=parsed.county,
        label=parsed.label,
    )
    ids = result.ids
    assert result.total == len(ids)
    if golden.first:
        assert tuple(ids[: len(golden.first)]) == golden.first, _titles(ids)
    if golden.only is not None:
        assert set(ids) == golden.only, _titles(ids)
    assert golden.includes <= set(ids), _titles(ids)


def _titles(ids: list[int]) -> list[str]:
    return [f"{i} {BY_ID[i].title}" for i in ids]


async def test_no_text_lists_everything_key_assistance_first_then_newest(
    backend: SearchBackend,
) -> None:
    result = await _search(backend)
    assert result.total == len(DOCUMENTS)
    expected = sorted(
        DOCUMENTS, key=lambda d: (not d.key_assistance, -d.published_at.timestamp(), -d.id)
    )
    assert result.ids == [doc.id for doc in expected]


async def test_a_text_without_words_filters_nothing(backend: SearchBackend) -> None:
    for text in ("", "   ", "！？。", "🍊🍊"):
        assert (await _search(backend, text=text, facets=False)).total == len(DOCUMENTS)


async def test_a_word_no_product_has_finds_nothing(backend: SearchBackend) -> None:
    for text in ("榴莲", "脐橙 榴莲", "durian", "zzzzzzzz"):
        result = await _search(backend, text=text)
        assert (result.ids, result.total) == ([], 0)
        assert result.facets == {"province": [], "category": [], "label": []}


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("price_asc", lambda d: (d.min_price_fen, d.id)),
        ("price_desc", lambda d: (-d.min_price_fen, -d.id)),
        ("newest", lambda d: (-d.published_at.timestamp(), -d.id)),
        ("rating", lambda d: (-d.rating_milli, -d.rating_count, -d.id)),
    ],
)
async def test_sorts(backend: SearchBackend, sort: str, key: Any) -> None:
    result = await _search(backend, sort=sort)
    assert result.ids == [doc.id for doc in sorted(DOCUMENTS, key=key)]


async def test_pages_cover_the_list_once_and_a_page_past_the_end_is_empty(
    backend: SearchBackend,
) -> None:
    everything = (await _search(backend, sort="newest")).ids
    pages = [
        await backend.search(ProductQuery(sort="newest", page=page, per_page=7), TODAY)
        for page in range(1, 10)
    ]
    assert [page.total for page in pages] == [len(DOCUMENTS)] * 9
    assert [len(page.ids) for page in pages] == [7] * 8 + [4]
    assert [i for page in pages for i in page.ids] == everything
    past = await backend.search(ProductQuery(sort="newest", page=10, per_page=7), TODAY)
    assert (past.ids, past.total, past.page) == ([], len(DOCUMENTS), 10)


# ---------------------------------------------------------------------------------------------
# Filters and facets against a brute-force count over the catalogue


def _passes(doc: ProductDocument, query: ProductQuery, today: date, skip: str = "") -> bool:
    """The filter semantics, written out by hand."""
    return (
        (query.province is None or skip == "province" or doc.province_code == query.province)
        and (query.county is None or doc.county_code == query.county)
        and (query.prefecture is None or doc.county_code[:4] == query.prefecture[:4])
        and (query.category is None or skip == "category" or doc.category == query.category)
        and (query.label is None or skip == "label" or query.label in doc.labels_valid_on(today))
        and (query.key_assistance is None or doc.key_assistance == query.key_assistance)
        and (query.in_stock is None or doc.in_stock == query.in_stock)
        and (query.min_price_fen is None or doc.min_price_fen >= query.min_price_fen)
        and (query.max_price_fen is None or doc.min_price_fen <= query.max_price_fen)
    )


def _facet_counts(
    docs: list[ProductDocument], name: str, today: date
) -> dict[str, tuple[int, str]]:
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for doc in docs:
        if name == "province":
            counts[doc.province_code] += 1
            labels[doc.province_code] = doc.province_name
        elif name == "category":
            counts[doc.category] += 1
            labels[doc.category] = doc.category_label
        else:
            for label in doc.labels_valid_on(today):
                counts[label] += 1
                labels[label] = label
    return {value: (count, labels[value]) for value, count in counts.items()}


FILTERS: list[dict[str, Any]] = [
    {},
    {"province": "620000"},
    {"province": "510000", "category": "vegetables"},
    {"category": "fruit", "label": "gi"},
    {"label": "organic"},
    {"label": "green_food", "in_stock": True},
    {"key_assistance": True},
    {"key_assistance": False, "province": "640000"},
    {"in_stock": False},
    {"min_price_fen": 4500, "max_price_fen": 6900},
    {"min_price_fen": 10_000},
    {"max_price_fen": 2500, "category": "vegetables"},
    {"county": "420325"},
    {"county": "420325", "province": "510000"},
    {"province": "360000", "label": "gi", "category": "fruit", "in_stock": True},
    {"label": "nonexistent"},
    {"label": "gi", "min_price_fen": 5_000},
    {"county": "360734", "max_price_fen": 5_000},
    {"key_assistance": True, "in_stock": True, "min_price_fen": 2_000, "max_price_fen": 9_000},
    {"province": "620000", "min_price_fen": 3_000, "category": "vegetables"},
    {"prefecture": "513400"},
    {"prefecture": "360700", "label": "gi"},
    {"prefecture": "513400", "province": "510000", "category": "vegetables"},
    {"prefecture": "620800", "min_price_fen": 3_000},
    {"prefecture": "420500", "key_assistance": False, "in_stock": True},
    {"prefecture": "513400", "province": "620000"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=[str(f) for f in FILTERS])
async def test_filters_and_facets_match_a_brute_force_count(
    backend: SearchBackend, filters: dict[str, Any]
) -> None:
    query = ProductQuery(per_page=100, **filters)
    result = await backend.search(query, TODAY)
    expected = [doc for doc in DOCUMENTS if _passes(doc, query, TODAY)]
    assert set(result.ids) == {doc.id for doc in expected}
    assert result.total == len(expected)
    for name in ("province", "category", "label"):
        facet_docs = [doc for doc in DOCUMENTS if _passes(doc, query, TODAY, skip=name)]
        want = _facet_counts(facet_docs, name, TODAY)
        got = {f.value: (f.count, f.label) for f in result.facets[name]}
        assert got == want, name
        counts = [f.count for f in result.facets[name]]
        assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("filters", [{}, {"label": "gi"}, {"province": "640000"}], ids=str)
async def test_label_facets_on_another_day_match_a_brute_force_count(
    backend: SearchBackend, filters: dict[str, Any]
) -> None:
    """The day decides which labels count, on any day searched (not only the first)."""
    for today in (GOUQI_GI_UNTIL, GOUQI_GI_UNTIL + timedelta(days=1), TODAY):
        query = ProductQuery(per_page=100, **filters)
        result = await backend.search(query, today)
        assert result.total == sum(_passes(doc, query, today) for doc in DOCUMENTS)
        facet_docs = [doc for doc in DOCUMENTS if _passes(doc, query, today, skip="label")]
        want = _facet_counts(facet_docs, "label", today)
        assert {f.value: (f.count, f.label) for f in result.facets["label"]} == want, today


TEXT_FACETS: list[tuple[str, dict[str, Any]]] = [
    ("马铃薯", {}),
    ("马铃薯", {"province": "510000"}),
    ("茶", {"label": "organic"}),
    ("脐橙", {"label": "gi", "category": "fruit"}),
    ("宁夏", {}),
    ("马铃薯", {"prefecture": "513400"}),
    ("茶", {"prefecture": "610900", "label": "organic"}),
]


@pytest.mark.parametrize(("text", "filters"), TEXT_FACETS, ids=[f"{t}{f}" for t, f in TEXT_FACETS])
async def test_facets_with_text_count_what_the_text_matches(
    backend: SearchBackend, text: str, filters: dict[str, Any]
) -> None:
    """Each facet counts the products the text finds under every other filter (brute force over
    the backend's own matches, fetched without that facet's filter)."""
    query = ProductQuery(text=text, per_page=100, **filters)
    result = await backend.search(query, TODAY)
    for name in ("province", "category", "label"):
        changes: dict[str, Any] = {name: None, "facets": False}
        without_own = dataclasses.replace(query, **changes)
        matched = (await backend.search(without_own, TODAY)).ids
        want = _facet_counts([BY_ID[i] for i in matched], name, TODAY)
        assert {f.value: (f.count, f.label) for f in result.facets[name]} == want, name


async def test_facets_can_be_skipped(backend: SearchBackend) -> None:
    result = await _search(backend, text="脐橙", facets=False)
    assert set(result.ids) == ORANGES
    assert result.facets == {"province": [], "category": [], "label": []}


async def test_an_expired_label_stops_matching_and_counting(backend: SearchBackend) -> None:
    before = await _search(backend, label="gi", today=GOUQI_GI_UNTIL)
    after = await _search(backend, label="gi", today=GOUQI_GI_UNTIL + timedelta(days=1))
    assert 12 in before.ids
    assert set(after.ids) == set(before.ids) - {12}
    gi_before = {f.value: f.count for f in before.facets["label"]}["gi"]
    gi_after = {f.value: f.count for f in after.facets["label"]}["gi"]
    assert gi_after == gi_before - 1
    # The product itself is still listed; only its label is gone.
    assert 12 in (await _search(backend, text="枸杞", today=date(2030, 1, 1))).ids


async def test_a_brand_is_a_second_label_that_must_hold_too(backend: SearchBackend) -> None:
    """The app's regional brands are labels of their own ("brand_12"): `brand` keeps the
    products holding it, valid that day, beside `label`, and expires like a label."""
    gi = set(await _all_ids(backend, label="gi"))
    green = set(await _all_ids(backend, label="green_food"))
    both = await _search(backend, label="gi", brand="green_food")
    assert set(both.ids) == gi & green
    assert set(await _all_ids(backend, brand="gi", text="枸杞")) == {
        i for i in await _all_ids(backend, text="枸杞") if i in gi
    }
    later = GOUQI_GI_UNTIL + timedelta(days=1)
    assert 12 not in await _all_ids(backend, later, brand="gi")


# ---------------------------------------------------------------------------------------------
# Hostile input: a result (possibly empty) or InvalidQuery, never anything else

HOSTILE = [
    '"',
    "'",
    '"脐橙"',
    "'; DROP TABLE search_products; --",
    "OR 1=1; DROP TABLE",
    "脐橙 OR 1=1",
    "NEAR(a b)",
    "NEAR(脐橙 枸杞, 2)",
    "*",
    "脐橙*",
    "^",
    "^脐橙",
    "title_tokens:脐橙",
    "{title_tokens pinyin_tokens}: qicheng",
    "- 脐橙",
    "NOT 脐橙",
    "a AND",
    "AND OR NOT",
    "脐橙 & !枸杞 | (茶 <-> 米)",
    "'qicheng':*",
    "qicheng:A",
    "((((",
    "))))",
    "\\",
    "\\x00",
    "%_%",
    "🍊",
    "🍊🍊 脐橙 👨‍👩‍👧",
    "\x00",
    "脐\x00橙",
    "\ud800\udfff",
    "\u202e脐橙",
    "x" * 10_000,
    "脐橙" * 5_000,
    "q" * 10_000,
    "a b c d e f g h i j k l m n o p",
    "ｑｉｃｈｅｎｇ",
    "1e5 0x1F -1",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_queries_never_raise_anything_but_invalid_query(
    backend: SearchBackend, text: str
) -> None:
    started = time.perf_counter()
    try:
        result = await _search(backend, text=text)
    except InvalidQuery:
        pass
    else:
        assert isinstance(result, SearchResult)
        assert result.total == len(result.ids)
        assert set(result.ids) <= set(BY_ID)
    assert time.perf_counter() - started < 5.0  # generous: the machine may be busy


async def test_the_index_is_intact_after_hostile_queries(backend: SearchBackend) -> None:
    for text in ("'; DROP TABLE search_products; --", 'NEAR("脐橙" "枸杞")', "*"):
        await _search(backend, text=text)
    assert (await _search(backend, facets=False)).total == len(DOCUMENTS)
    assert set((await _search(backend, text="脐橙")).ids) == ORANGES


async def test_operators_typed_by_a_user_are_plain_words(backend: SearchBackend) -> None:
    # "OR" is a stopword and "1" is a word: 脐橙 OR 1 means products with both, i.e. none.
    assert (await _search(backend, text="脐橙 OR 1=1")).ids == []
    # Quotes, stars and carets are punctuation around the word.
    for text in ('"脐橙"', "脐橙*", "^脐橙", "(脐橙)", "{脐橙}"):
        assert set((await _search(backend, text=text)).ids) == ORANGES, text
