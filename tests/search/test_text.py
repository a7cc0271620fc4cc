"""Chinese text analysis: segmentation with a user dictionary, pinyin, synonyms, typo variants."""

from __future__ import annotations

import time

import pytest

from search import Analyzer, normalise_text
from search.dictionaries import word_pinyin
from search.query import MAX_TEXT_CHARS
from search.synonyms import SYNONYM_GROUPS, synonym_index, synonyms_of
from search.text import (
    MAX_QUERY_TERMS,
    QueryPlan,
    edits1,
    place_short_name,
)
from tests.search.catalogue import BY_ID


def test_segmenter_keeps_added_county_names_whole() -> None:
    analyzer = Analyzer()
    # jieba alone cuts the county 中宁 into two characters …
    assert analyzer.segment("宁夏中宁枸杞") != ["宁夏", "中宁", "枸杞"]
    # … until the app adds its place names.
    assert analyzer.add_place_names(["中宁县"]) == 2
    assert analyzer.segment("宁夏中宁枸杞") == ["宁夏", "中宁", "枸杞"]
    assert analyzer.add_words(["中宁", "中宁县"]) == 0  # already known: nothing new


def test_built_in_words_and_synonyms_come_out_whole() -> None:
    analyzer = Analyzer()
    assert analyzer.segment("赣南脐橙") == ["赣南", "脐橙"]
    assert analyzer.segment("土蜂蜜") == ["土蜂蜜"]  # jieba alone: 土 / 蜂蜜
    assert analyzer.segment("藜麦") == ["藜麦"]
    assert analyzer.segment("甘南羊肚菌") == ["甘南", "羊肚菌"]


def test_add_words_ignores_what_is_not_a_chinese_word() -> None:
    analyzer = Analyzer()
    assert analyzer.add_words(["", "a", "中", "hello", "中宁 县", "x" * 50, "宁" * 21]) == 0


def test_dictionaries_of_two_analyzers_are_separate() -> None:
    first, second = Analyzer(), Analyzer()
    first.add_words(["中宁"])
    assert "中宁" in first.segment("宁夏中宁枸杞")
    assert "中宁" not in second.segment("宁夏中宁枸杞")


def test_segment_lowercases_folds_width_and_drops_punctuation() -> None:
    analyzer = Analyzer()
    assert analyzer.segment("ＧＡＮＮＡＮ，脐橙！5KG/箱") == ["gannan", "脐橙", "5kg", "箱"]
    assert analyzer.segment("a\x00b\u200bc") == ["abc"]  # invisible characters vanish
    assert analyzer.segment("黑木耳", for_search=True) == ["黑木", "木耳", "黑木耳"]


@pytest.mark.parametrize(
    ("word", "full", "initials"),
    [
        ("赣南", "gannan", "gn"),
        ("脐橙", "qicheng", "qc"),
        ("中宁", "zhongning", "zn"),
        ("绿茶", "lvcha", "lc"),  # ü is written v
        ("吕梁", "lvliang", "ll"),
        ("重庆", "chongqing", "cq"),  # the phrase reading, not zhong
    ],
)
def test_word_pinyin(word: str, full: str, initials: str) -> None:
    assert word_pinyin(word) == (full, initials)


def test_document_tokens_carry_pinyin_initials_and_character_grams(analyzer: Analyzer) -> None:
    tokens = analyzer.analyse(BY_ID[1])  # 赣南脐橙 5kg/箱 当季现摘, 寻乌县
    pinyin = tokens.pinyin.split()
    assert {"gannan", "qicheng", "gannanqicheng", "gn", "qc", "gnqc"} <= set(pinyin)
    assert {"赣南", "脐橙", "5kg"} <= set(tokens.title.split())
    assert {"脐", "橙", "赣南", "南脐", "脐橙"} <= set(tokens.grams.split())
    assert {"寻乌", "寻乌县", "xunwu", "赣州", "江西"} <= set(tokens.place.split())
    assert {"qicheng", "gnqc", "xunwu"} <= tokens.vocabulary
    assert all(token.isascii() for token in tokens.vocabulary)
    # Every token is letters/digits only: nothing a MATCH or tsquery could read as syntax.
    for field in (tokens.title, tokens.pinyin, tokens.place, tokens.grams, tokens.body):
        assert all(token.isalnum() for token in field.split())


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("寻乌县", "寻乌"),
        ("青龙满族自治县", "青龙"),
        ("威宁彝族回族苗族自治县", "威宁"),
        ("长阳土家族自治县", "长阳"),
        ("双江拉祜族佤族布朗族傣族自治县", "双江"),
        ("宁夏回族自治区", "宁夏"),
        ("新疆维吾尔自治区", "新疆"),
        ("甘肃省", "甘肃"),
        ("凉山彝族自治州", "凉山"),
        ("蔚县", None),  # one character left: not a useful word
        ("房县", None),
        ("北京", None),  # no suffix: nothing shorter
    ],
)
def test_place_short_name(name: str, short: str | None) -> None:
    assert place_short_name(name) == short


def test_synonym_groups_are_symmetric_data() -> None:
    index = synonym_index()
    for group in SYNONYM_GROUPS:
        assert len(group) >= 2
        for word in group:
            assert set(group) <= set(index[word])
    for required in [
        ("土豆", "马铃薯", "洋芋"),
        ("猕猴桃", "奇异果"),
        ("红薯", "地瓜", "番薯", "甘薯"),
        ("玉米", "苞谷", "包谷"),
        ("西红柿", "番茄"),
        ("花生", "落花生"),
        ("木耳", "黑木耳"),
        ("香菇", "冬菇"),
        ("核桃", "胡桃"),
        ("枸杞", "杞子"),
        ("茶", "茶叶"),
        ("牦牛肉", "牦牛"),
        ("小米", "粟米"),
        ("蜂蜜", "土蜂蜜"),
        ("辣椒", "海椒"),
    ]:
        for word in required:
            assert set(required) <= set(synonyms_of(word)), word
    assert synonyms_of("苹果") == ("苹果",)


def test_query_plan_expands_synonyms_and_pinyin_of_synonyms(analyzer: Analyzer) -> None:
    plan = analyzer.parse_query("土豆")
    assert [term.text for term in plan.terms] == ["土豆"]
    assert {("马铃薯",), ("洋芋",), ("土豆",)} <= set(plan.terms[0].alternatives)
    tudou = analyzer.parse_query("tudou").terms[0]
    assert tudou.latin and ("马铃薯",) in tudou.alternatives


def test_query_plan_drops_stopwords_unless_nothing_else_is_left(analyzer: Analyzer) -> None:
    assert [t.text for t in analyzer.parse_query("新鲜的脐橙").terms] == ["新鲜", "脐橙"]
    assert [t.text for t in analyzer.parse_query("的").terms] == ["的"]


def test_long_chinese_query_words_fall_back_to_character_pairs(analyzer: Analyzer) -> None:
    term = analyzer.parse_query("猕猴桃").terms[0]
    assert ("猕猴", "猴桃") in term.alternatives


def test_typo_corrections_come_from_the_vocabulary_within_one_edit(analyzer: Analyzer) -> None:
    vocabulary = {"qicheng", "gannan", "gouqi", "ningxia", "gannanqicheng"}
    plan = analyzer.parse_query("qichen gannna")
    assert {"qichen", "qicheng", "gannna", "gannan"} <= plan.probes()
    resolved = plan.resolve(vocabulary)
    assert ("qicheng",) in resolved[0]  # insertion
    assert ("gannan",) in resolved[1]  # transposition
    # Under 5 letters, no typo tolerance: "qich" is not a misspelt qicheng.
    assert analyzer.parse_query("qich").resolve(vocabulary) == [(("qich",),)]
    # A word that exists is not "corrected" into its neighbours.
    assert analyzer.parse_query("gannan").resolve(vocabulary | {"gannat"}) == [(("gannan",),)]


def test_run_together_pinyin_is_split_into_known_words(analyzer: Analyzer) -> None:
    resolved = analyzer.parse_query("ningxiagouqi").resolve({"ningxia", "gouqi"})
    assert ("ningxia", "gouqi") in resolved[0]


def test_edits1_is_the_whole_distance_one_neighbourhood() -> None:
    neighbours = edits1("qichen")
    assert {"qicheng", "qichn", "iqchen", "qichan"} <= neighbours
    assert "qichen" not in neighbours
    assert "qicehgn" not in neighbours  # two edits
    n = len("qichen")
    assert len(neighbours) <= 54 * n + 25


HOSTILE = [
    '"',
    "'",
    '"脐橙',
    "OR 1=1; DROP TABLE search_products; --",
    "NEAR(a b)",
    "*",
    "^",
    "脐橙*",
    "title_tokens:脐橙",
    "{title_tokens}: x",
    "a & b | !c <-> d",
    "(((",
    "\\",
    "🍊🍊 脐橙 👍🏽",
    "\x00",
    "脐\x00橙",
    "\ud800",
    "x" * 10_000,
    "脐橙 " * 3_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_becomes_plain_tokens(analyzer: Analyzer, text: str) -> None:
    plan = analyzer.parse_query(text)
    assert isinstance(plan, QueryPlan)
    assert len(plan.terms) <= MAX_QUERY_TERMS
    for alternatives in plan.resolve(set()):
        for group in alternatives:
            for token in group:
                assert token.isalnum() and len(token) <= 40, token


def test_normalise_text() -> None:
    assert normalise_text("  ＱＩＣＨＥＮＧ\t赣南\n\x00脐橙\u200b  ") == "QICHENG 赣南 脐橙"
    assert normalise_text("\ud800x") == "x"  # a lone surrogate would break the driver
    assert len(normalise_text("橙" * 10_000)) == MAX_TEXT_CHARS
    assert normalise_text("\x00" * 10_000) == ""


def test_a_ten_thousand_character_query_is_cheap(analyzer: Analyzer) -> None:
    started = time.perf_counter()
    for text in ("x" * 10_000, "脐橙" * 5_000, "q" * 9_999 + "🍊", " a" * 5_000):
        plan = analyzer.parse_query(normalise_text(text))
        plan.resolve(plan.probes())
    assert time.perf_counter() - started < 2.0  # generous: the machine may be busy
