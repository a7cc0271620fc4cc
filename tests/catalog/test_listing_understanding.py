"""The listing understands what buyers type: place words filter by place, label words by label,
English words are searched in Chinese; an empty listing suggests nearby queries. API and page,
on both databases, and while the search backend is down."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from app.catalog.listing.caching import REFERENCE, reference
from app.certification.models import CertificateKind, CertificateStatus
from app.core.db import Database, unit_of_work
from search.meili import MeiliBackend
from tests.catalog.factories import create_product, sku, sync_search_index
from tests.catalog.test_listing_api import _list, count_statements
from tests.certification.factories import create_certificate
from tests.cooperative.factories import Supplier, create_supplier

TONGXIN = "640324"  # 同心县, 吴忠市, 宁夏回族自治区
YANCHI = "640323"  # 盐池县, 吴忠市, 宁夏回族自治区
JINGYUAN = "620421"  # 靖远县, 白银市, 甘肃省
SHANGYOU = "360724"  # 上犹县, 赣州市, 江西省
RONGSHUI = "450225"  # 融水苗族自治县, 柳州市, 广西壮族自治区
DEAD_MEILI = "http://127.0.0.1:1"


@dataclass(frozen=True)
class Shop:
    suppliers: dict[str, Supplier]
    ids: dict[str, int]


@pytest.fixture
async def shop(client: httpx.AsyncClient, database: Database) -> Shop:
    """Goji from Ningxia and from Gansu, Ningxia lamb and dates, two teas; two organic
    products, one with a GI."""
    suppliers = {
        code: await create_supplier(database, name=f"{code}丰收合作社", county_code=code)
        for code in (TONGXIN, YANCHI, JINGYUAN, SHANGYOU, RONGSHUI)
    }

    async def certificate(code: str, kind: CertificateKind) -> list[int]:
        return [
            await create_certificate(
                database, suppliers[code].id, kind=kind, status=CertificateStatus.VERIFIED
            )
        ]

    ids: dict[str, int] = {}
    for title, code, category, certificates in (
        ("同心枸杞 500g/袋", TONGXIN, "nuts", await certificate(TONGXIN, CertificateKind.ORGANIC)),
        ("靖远枸杞 500g/袋", JINGYUAN, "nuts", []),
        ("盐池滩羊肉 2kg/箱", YANCHI, "meat_eggs", await certificate(YANCHI, CertificateKind.GI)),
        ("盐池大枣 1kg/袋", YANCHI, "nuts", []),
        ("上犹绿茶", SHANGYOU, "tea", await certificate(SHANGYOU, CertificateKind.ORGANIC)),
        ("融水红茶", RONGSHUI, "tea", []),
    ):
        created = await create_product(
            client,
            suppliers[code],
            title=title,
            category=category,
            certificate_ids=certificates,
            skus=[sku(price_fen=4900)],
        )
        ids[title.split()[0]] = created["id"]
    await sync_search_index(database)
    return Shop(suppliers, ids)


def _titles(body: dict[str, Any]) -> set[str]:
    return {item["title"].split()[0] for item in body["items"]}


def _parts(body: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (part["kind"], part["typed"], part["value"], part["name"])
        for part in body["understood"]["parts"]
    ]


# ---------------------------------------------------------------------------------------------
# The API


@pytest.mark.parametrize(
    ("q", "titles", "parts", "text"),
    [
        (
            "宁夏枸杞",
            {"同心枸杞"},
            [("province", "宁夏", "640000", "宁夏回族自治区")],
            "枸杞",
        ),
        ("甘肃 枸杞", {"靖远枸杞"}, [("province", "甘肃", "620000", "甘肃省")], "枸杞"),
        (
            "宁夏回族自治区",
            {"同心枸杞", "盐池滩羊肉", "盐池大枣"},
            [("province", "宁夏回族自治区", "640000", "宁夏回族自治区")],
            "",
        ),
        (
            "吴忠",
            {"同心枸杞", "盐池滩羊肉", "盐池大枣"},
            [("prefecture", "吴忠", "640300", "吴忠市")],
            "",
        ),
        ("同心县枸杞", {"同心枸杞"}, [("county", "同心县", TONGXIN, "同心县")], "枸杞"),
        ("有机", {"同心枸杞", "上犹绿茶"}, [("label", "有机", "organic", "有机产品")], ""),
        ("地理标志", {"盐池滩羊肉"}, [("label", "地理标志", "gi", "地理标志农产品")], ""),
        ("tea", {"上犹绿茶", "融水红茶"}, [("word", "tea", "茶", "茶")], "茶"),
        ("goji", {"同心枸杞", "靖远枸杞"}, [("word", "goji", "枸杞", "枸杞")], "枸杞"),
        (
            "organic tea",
            {"上犹绿茶"},
            [("label", "organic", "organic", "有机产品"), ("word", "tea", "茶", "茶")],
            "茶",
        ),
        # Nothing to understand: the words are matched as before.
        ("枸杞", {"同心枸杞", "靖远枸杞"}, [], "枸杞"),
    ],
)
async def test_place_label_and_english_words_are_understood(
    client: httpx.AsyncClient,
    shop: Shop,
    q: str,
    titles: set[str],
    parts: list[tuple[str, str, str, str]],
    text: str,
) -> None:
    body = await _list(client, q=q)

    assert _titles(body) == titles
    assert body["total"] == len(titles)
    assert _parts(body) == parts
    assert body["understood"]["text"] == text
    assert body["understood"]["q"] == q
    assert body["suggestions"] == []


async def test_each_part_says_how_to_remove_it(client: httpx.AsyncClient, shop: Shop) -> None:
    body = await _list(client, q="宁夏有机枸杞")

    understood = body["understood"]
    assert [(p["typed"], p["start"], p["end"], p["q_without"]) for p in understood["parts"]] == [
        ("宁夏", 0, 2, "有机枸杞"),
        ("有机", 2, 4, "宁夏枸杞"),
    ]
    assert understood["q_without_parts"] == "枸杞"
    assert understood["q_without_text"] == "宁夏 有机"
    assert understood["q_without_places"] == "有机枸杞"
    assert understood["q_without_labels"] == "宁夏枸杞"
    assert _titles(body) == {"同心枸杞"}
    # The province facet counts goji elsewhere too (a facet never filters itself).
    assert {f["value"]: f["count"] for f in body["facets"]["province"]} == {"640000": 1}


async def test_without_q_nothing_is_understood(client: httpx.AsyncClient, shop: Shop) -> None:
    body = await _list(client, province="640000")
    assert body["understood"] is None
    assert _titles(body) == {"同心枸杞", "盐池滩羊肉", "盐池大枣"}


async def test_a_chosen_filter_wins_over_words_that_contradict_it(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    # The buyer picked Gansu in the facets while the words still say Ningxia.
    body = await _list(client, q="宁夏枸杞", province="620000")
    assert _titles(body) == {"靖远枸杞"}
    assert body["understood"]["parts"] == []
    # A county inside the words' province narrows it.
    body = await _list(client, q="宁夏枸杞", county=TONGXIN)
    assert _titles(body) == {"同心枸杞"}
    assert [p["kind"] for p in body["understood"]["parts"]] == ["province"]
    # Another label than the words': the chosen one.
    body = await _list(client, q="有机", label="gi")
    assert _titles(body) == {"盐池滩羊肉"}
    assert body["understood"]["parts"] == []


async def test_an_empty_listing_suggests_queries_that_find_something(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    body = await _list(client, q="宁夏 tea")

    assert (body["total"], body["items"]) == (0, [])
    suggestions = [
        (s["title"], s["reason"], s["query"]["q"], s["total"]) for s in body["suggestions"]
    ]
    # Without the place; without the English word (Ningxia has no tea: the related category
    # within Ningxia finds nothing and is not offered).
    assert suggestions == [("tea", "drop_word", "tea", 2), ("宁夏", "drop_word", "宁夏", 3)]


def _suggested(body: dict[str, Any]) -> list[tuple[str, str, str | None, str | None, int]]:
    return [
        (s["reason"], s["title"], s["query"]["q"], s["query"]["category"], s["total"])
        for s in body["suggestions"]
    ]


async def test_the_related_category_is_suggested_within_the_place(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    # No goji from 盐池; goji elsewhere, and other dried fruit (dates) in 盐池.
    body = await _list(client, q="盐池枸杞")

    assert body["total"] == 0
    assert _suggested(body) == [
        ("drop_word", "枸杞", "枸杞", None, 2),
        ("related_category", "盐池 · 干果坚果", "盐池", "nuts", 1),
        ("drop_word", "盐池", "盐池", None, 2),
    ]


async def test_only_suggestions_that_find_something_are_offered(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    # 同心枸杞 is organic, 盐池滩羊肉 has a GI: no goji with a GI in Ningxia, none elsewhere
    # (靖远枸杞 has none), no dried fruit with a GI in Ningxia.
    body = await _list(client, q="宁夏 地理标志 枸杞")

    assert body["total"] == 0
    assert _suggested(body) == [
        ("drop_word", "宁夏 枸杞", "宁夏 枸杞", None, 1),
        ("drop_word", "宁夏 地理标志", "宁夏 地理标志", None, 1),
    ]


async def test_suggestions_drop_chosen_filters_too(client: httpx.AsyncClient, shop: Shop) -> None:
    body = await _list(client, q="枸杞", category="tea")

    assert body["total"] == 0
    assert _suggested(body) == [
        ("related_category", "干果坚果", None, "nuts", 3),
        ("drop_word", "茶叶", None, "tea", 2),
        ("drop_filter", "枸杞", "枸杞", None, 2),
    ]
    # Nothing costs under one yuan: only the price range can go.
    body = await _list(client, q="枸杞", max_price_fen=100)
    assert [
        (s["reason"], s["query"]["max_price_fen"], s["total"]) for s in body["suggestions"]
    ] == [("drop_filter", None, 2)]


async def test_nothing_is_suggested_when_nothing_near_finds_anything(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    body = await _list(client, q="榴莲")
    assert (body["total"], body["suggestions"]) == (0, [])


async def test_understanding_adds_no_statement(
    client: httpx.AsyncClient, database: Database, shop: Shop
) -> None:
    await _list(client, q="枸杞")  # the reference data and the parser, once
    counts = {}
    for q in ("枸杞", "宁夏枸杞", "有机 tea"):
        with count_statements(database) as statements:
            await _list(client, q=q, sort="newest")
        counts[q] = len(statements)
    assert len(set(counts.values())) == 1, counts


async def test_with_search_down_the_catalog_tables_understand_alike(
    client: httpx.AsyncClient, app: FastAPI, shop: Shop
) -> None:
    app.state.search = MeiliBackend(DEAD_MEILI, timeout_seconds=1)

    body = await _list(client, q="宁夏枸杞")
    assert body["degraded"] is True
    assert _titles(body) == {"同心枸杞"}
    assert [p["kind"] for p in body["understood"]["parts"]] == ["province"]
    assert _titles(await _list(client, q="吴忠 有机")) == {"同心枸杞"}
    assert _titles(await _list(client, q="green tea")) == {"上犹绿茶"}


# ---------------------------------------------------------------------------------------------
# The page

CHIP = re.compile(
    r'<a class="sf-chip sf-chip-understood" data-understood="(\w+)" href="([^"]+)"[^>]*>(.*?)</a>',
    re.S,
)
SUGGESTION = re.compile(
    r'<a class="sf-suggestion" data-reason="(\w+)" href="([^"]+)">(.*?)</a>', re.S
)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(unescape(href)).query)


async def test_the_page_shows_what_was_understood_as_removable_chips(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    response = await client.get("/products", params={"q": "宁夏有机枸杞"})

    assert response.status_code == 200, response.text[:300]
    chips = [
        (kind, _params(href), _text(label)) for kind, href, label in CHIP.findall(response.text)
    ]
    assert chips == [
        ("province", {"q": ["有机枸杞"]}, "产地 宁夏回族自治区 ×"),
        ("label", {"q": ["宁夏枸杞"]}, "认证 有机产品 ×"),
    ]
    text_chip = re.search(r'data-understood="text" href="([^"]+)">(.*?)</a>', response.text, re.S)
    assert text_chip is not None
    assert (_params(text_chip.group(1)), _text(text_chip.group(2))) == (
        {"q": ["宁夏 有机"]},
        "“枸杞” ×",
    )
    assert 'id="result-count">共 1 件商品<' in response.text
    # The facets show the understood province and label as chosen ...
    assert re.search(
        r'data-facet="province" data-value="640000" class="sf-facet-on"', response.text
    )
    assert re.search(r'data-facet="label" data-value="organic" class="sf-facet-on"', response.text)
    # ... and "all provinces" takes the place word out of the query.
    all_provinces = re.search(
        r'<legend>省份</legend>\s*<ul>\s*<li><a href="([^"]+)"', response.text
    )
    assert all_provinces is not None
    assert _params(all_provinces.group(1)) == {"q": ["有机枸杞"]}


async def test_the_page_shows_english_words_with_their_chinese(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    response = await client.get("/products", params={"q": "tea", "lang": "en"})

    assert response.status_code == 200
    chips = [(kind, _text(label)) for kind, _, label in CHIP.findall(response.text)]
    assert chips == [("word", "tea → 茶 ×")]
    assert "上犹绿茶" in response.text and "融水红茶" in response.text


async def test_an_empty_page_links_to_its_suggestions(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    response = await client.get("/products", params={"q": "宁夏 tea", "sort": "price_asc"})

    assert response.status_code == 200
    assert "没有找到符合条件的商品" in response.text
    suggestions = [
        (reason, _params(href), _text(label))
        for reason, href, label in SUGGESTION.findall(response.text)
    ]
    assert suggestions == [
        ("drop_word", {"q": ["tea"], "sort": ["price_asc"]}, "“tea” 2"),
        ("drop_word", {"q": ["宁夏"], "sort": ["price_asc"]}, "“宁夏” 3"),
    ]
    followed = await client.get(unescape(SUGGESTION.findall(response.text)[0][1]))
    assert 'id="result-count">共 2 件商品<' in followed.text


async def test_the_query_parser_is_built_once_for_the_same_places(
    app: FastAPI, database: Database
) -> None:
    caches = app.state.caches
    async with unit_of_work(database.reader) as session:
        first = await reference(session, caches)
        caches.cache(REFERENCE).clear()  # the reference data are read again after a while ...
        second = await reference(session, caches)

    assert second is not first
    assert second.parser is first.parser  # ... and the parser of the same places is kept
    assert first.parser.parse("宁夏枸杞").province == "640000"
