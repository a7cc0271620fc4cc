"""The query parser over the whole region reference data: places, labels and English words
become filters and Chinese words; ambiguous or contradictory words stay text."""

from __future__ import annotations

import time

import pytest

from app.regions.reference_data import read_counties
from search import Analyzer
from search.english import english_word
from search.places import Place
from search.understanding import ParsedQuery, QueryParser
from tests.search.catalogue import LABEL_WORDS


def _reference_places() -> list[Place]:
    found: dict[str, Place] = {}
    for county in read_counties():
        found[county.code] = Place(county.code, county.name, "county")
        found[county.prefecture_code] = Place(
            county.prefecture_code, county.prefecture_name, "prefecture"
        )
        found[county.province_code] = Place(county.province_code, county.province_name, "province")
    return list(found.values())


@pytest.fixture(scope="module")
def parser(analyzer: Analyzer) -> QueryParser:
    return QueryParser(_reference_places(), LABEL_WORDS, analyzer=analyzer)


def _filters(parsed: ParsedQuery) -> dict[str, str]:
    names = ("province", "prefecture", "county", "label")
    return {name: value for name in names if (value := getattr(parsed, name)) is not None}


@pytest.mark.parametrize(
    ("text", "filters", "remaining"),
    [
        ("宁夏枸杞", {"province": "640000"}, "枸杞"),
        ("宁夏回族自治区 枸杞", {"province": "640000"}, "枸杞"),
        ("新疆骏枣", {"province": "650000"}, "骏枣"),
        ("广西 百香果", {"province": "450000"}, "百香果"),
        ("北京", {"province": "110000"}, ""),
        ("内蒙 小米", {"province": "150000"}, "小米"),
        ("ningxia goji", {"province": "640000"}, "枸杞"),
        ("Inner Mongolia millet", {"province": "150000"}, "小米"),
        ("shaanxi apples", {"province": "610000"}, "苹果"),
        # A prefecture with and without its suffixes, and its usual short form.
        ("凉山彝族自治州 马铃薯", {"prefecture": "513400"}, "马铃薯"),
        ("凉山州马铃薯", {"prefecture": "513400"}, "马铃薯"),
        ("凉山马铃薯", {"prefecture": "513400"}, "马铃薯"),
        ("赣州脐橙", {"prefecture": "360700"}, "脐橙"),
        # A county: with its suffix, without it, and an autonomous county's usual forms.
        ("寻乌县 蜜桔", {"county": "360734"}, "蜜桔"),
        ("寻乌蜜桔", {"county": "360734"}, "蜜桔"),
        ("麻阳苗族自治县冰糖橙", {"county": "431226"}, "冰糖橙"),
        ("麻阳县冰糖橙", {"county": "431226"}, "冰糖橙"),
        ("中宁枸杞", {"county": "640521"}, "枸杞"),
        # Place words that agree: the most specific one filters.
        ("宁夏中宁枸杞", {"county": "640521"}, "枸杞"),
        ("江西 赣州 脐橙", {"prefecture": "360700"}, "脐橙"),
        # One name, places inside one another: the broadest (the prefecture, not its city).
        ("恩施玉露", {"prefecture": "422800"}, "玉露"),
        ("恩施市 玉露", {"county": "422801"}, "玉露"),
        # A province and places elsewhere of the same name: the province.
        ("海南芒果", {"province": "460000"}, "芒果"),
        # Ambiguous: districts of Beijing and Changchun, a city and a county in Liaoning ...
        ("朝阳", {}, "朝阳"),
        # ... unless another place word tells them apart.
        ("辽宁朝阳 小米", {"prefecture": "211300"}, "小米"),
        # 山西 and 陕西 share their pinyin.
        ("shanxi", {}, "shanxi"),
        # Places that contradict each other: one filter cannot hold both, they stay text.
        ("宁夏 甘肃 枸杞", {}, "宁夏 甘肃 枸杞"),
        # Product names, not places.
        ("普洱茶", {}, "普洱茶"),
        ("西湖龙井", {}, "西湖龙井"),
        ("同心圆枣", {}, "同心圆枣"),
        ("市辖区", {}, "市辖区"),
        # Fillers around a place go with it.
        ("产自宁夏的枸杞", {"province": "640000"}, "的枸杞"),
        ("goji from Ningxia", {"province": "640000"}, "枸杞"),
        ("from 枸杞", {}, "from 枸杞"),
        # Labels, in Chinese and English; a second, different label stays text.
        ("有机", {"label": "organic"}, ""),
        ("有机产品 大米", {"label": "organic"}, "大米"),
        ("地理标志苹果", {"label": "gi"}, "苹果"),
        ("绿色食品", {"label": "green_food"}, ""),
        ("Green Food rice", {"label": "green_food"}, "米"),
        ("organic 有机 tea", {"label": "organic"}, "茶"),
        ("有机 地理标志", {"label": "organic"}, "地理标志"),
        # English product words, phrases before single words.
        ("tea", {}, "茶"),
        ("green tea", {}, "绿茶"),
        ("TEA", {}, "茶"),
        ("ｔｅａ", {}, "茶"),
        ("goji berries", {}, "枸杞"),
        ("宁夏 organic goji", {"province": "640000", "label": "organic"}, "枸杞"),
        ("durian", {}, "durian"),
        ("qicheng", {}, "qicheng"),
    ],
)
def test_what_is_understood(
    parser: QueryParser, text: str, filters: dict[str, str], remaining: str
) -> None:
    parsed = parser.parse(text)
    assert _filters(parsed) == filters, parsed
    assert parsed.text == remaining, parsed


def test_parts_say_what_was_typed_and_what_it_means(parser: QueryParser) -> None:
    parsed = parser.parse("宁夏 有机 goji")

    assert [(p.kind, p.typed, p.value, p.name) for p in parsed.parts] == [
        ("place", "宁夏", "640000", "宁夏回族自治区"),
        ("label", "有机", "organic", "organic"),
        ("word", "goji", "枸杞", "枸杞"),
    ]
    assert parsed.parts[0].level == "province"
    assert [parsed.typed[p.start : p.end] for p in parsed.parts] == ["宁夏", "有机", "goji"]


def test_removing_words_leaves_the_rest_as_typed(parser: QueryParser) -> None:
    parsed = parser.parse("产自宁夏的有机枸杞 500g")
    place, label = parsed.parts

    # The filler goes with the last place word; the rest stays as it was typed.
    assert parsed.without_part(place) == "的有机枸杞 500g"
    assert parsed.without_part(label) == "产自宁夏的枸杞 500g"
    assert parsed.parts_only() == "宁夏 有机"
    assert [parsed.typed[start:end] for start, end in parsed.words] == ["枸杞", "500g"]
    assert parsed.without([parsed.words[1]]) == "产自宁夏的有机枸杞"


def test_explicit_filters_win_over_contradicting_words(parser: QueryParser) -> None:
    parsed = parser.parse("宁夏中宁有机枸杞")

    # Chosen places that agree keep the words' filters.
    same = parsed.applied(province="640000", county=None, label="organic")
    assert same is parsed
    # Another province drops every place word; another label drops the label word.
    other = parsed.applied(province="620000", county=None, label="gi")
    assert _filters(other) == {}
    assert other.parts == ()
    assert other.text == "枸杞"
    county = parser.parse("宁夏枸杞").applied(province=None, county="620421", label=None)
    assert (county.province, county.parts) == (None, ())
    inside = parser.parse("宁夏枸杞").applied(province=None, county="640521", label=None)
    assert inside.province == "640000"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00宁夏\x00枸杞",
        "İstanbul 宁夏",  # lower-casing changes the length: nothing is understood
        "宁夏" * 200,
        "'; DROP TABLE search_products; --",
        "🍊宁夏🍊",
    ],
)
def test_any_text_is_parsed_without_error(parser: QueryParser, text: str) -> None:
    parsed = parser.parse(text)
    assert len(parsed.typed) <= 200
    assert all(0 <= p.start < p.end <= len(parsed.typed) for p in parsed.parts)
    assert all(parsed.typed[p.start : p.end] == p.typed for p in parsed.parts)


def test_parsing_is_cheap(parser: QueryParser) -> None:
    queries = ["宁夏中宁枸杞", "有机 tea", "凉山州马铃薯 5kg", "goji from ningxia", "朝阳"] * 200
    started = time.perf_counter()
    for text in queries:
        parser.parse(text)
    # Generous for a busy machine: about 0.1 ms each when idle.
    assert time.perf_counter() - started < 2.0
    assert parser.place_names > 6_000


@pytest.mark.parametrize(
    ("words", "chinese"),
    [
        ("apple", "苹果"),
        ("apples", "苹果"),
        ("cherries", "樱桃"),
        ("potatoes", "土豆"),
        ("goji berries", "枸杞"),
        ("kiwi fruit", "猕猴桃"),
        ("glass", None),
        ("s", None),
    ],
)
def test_english_words_and_their_plurals(words: str, chinese: str | None) -> None:
    assert english_word(words) == chinese


def test_a_thing_said_twice_is_one_part_removed_at_once(parser: QueryParser) -> None:
    parsed = parser.parse("宁夏枸杞 宁夏 tea tea 有机 organic")

    assert [(p.kind, p.typed, p.spans) for p in parsed.parts] == [
        ("place", "宁夏", ((0, 2), (5, 7))),
        ("word", "tea", ((8, 11), (12, 15))),
        ("label", "有机", ((16, 18), (19, 26))),
    ]
    assert parsed.text == "枸杞 茶"
    assert parsed.without_part(parsed.parts[0]) == "枸杞 tea tea 有机 organic"
    assert parsed.without_part(parsed.parts[2]) == "宁夏枸杞 宁夏 tea tea"
