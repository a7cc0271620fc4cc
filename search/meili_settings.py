"""The Meilisearch index settings, as data (applied by MeiliBackend.ensure_ready()).

Documents are shaped by search.meili.meili_document: the fields named here exist there.
"""

from __future__ import annotations

from typing import Any

from search.synonyms import synonym_index
from search.text import QUERY_STOPWORDS

INDEX_UID = "products"
PRIMARY_KEY = "id"

# Order matters: the "attribute" ranking rule prefers matches in earlier attributes.
SEARCHABLE_ATTRIBUTES = [
    "title",
    "title_words",
    "title_pinyin",
    "county_name",
    "prefecture_name",
    "province_name",
    "place_pinyin",
    "category_label",
    "cooperative_name",
    "description_text",
]

FILTERABLE_ATTRIBUTES = [
    "id",  # delete() removes documents by an id filter
    "province_code",
    "county_code",
    # A county code's first four digits and 00: the place words of a query (凉山) filter by it.
    "prefecture_code",
    "category",
    "labels",
    # Nested {label: last valid day as yyyymmdd}: `label_until.gi >= 20261128` keeps a label
    # only while its certificate is valid, without reindexing when it expires.
    "label_until",
    # {label: first valid day}: a certificate starting after indexing matches from that day.
    "label_from",
    "key_assistance",
    "in_stock",
    "min_price_fen",
    # "code|name" pairs: a facet value that carries its display name.
    "province_facet",
    "category_facet",
]

SORTABLE_ATTRIBUTES = ["min_price_fen", "published_ts", "rating_milli", "rating_count"]

# "sort" first: an explicit price or date order wins over text relevance. Without a sort, text
# relevance decides, then key-assistance counties (a custom rule), then the newest.
RANKING_RULES = [
    "sort",
    "words",
    "typo",
    "proximity",
    "attribute",
    "exactness",
    "key_assistance_rank:desc",
    "published_ts:desc",
]

# One typo from 5 letters, two from 9 (pinyin: "qichen" → qicheng, "gannna" → gannan).
TYPO_TOLERANCE: dict[str, Any] = {
    "enabled": True,
    "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
    "disableOnAttributes": ["county_name", "prefecture_name", "province_name"],
}

# Large enough that `total` stays exact for any listing this marketplace has.
PAGINATION = {"maxTotalHits": 100_000}
FACETING = {"maxValuesPerFacet": 200, "sortFacetValuesBy": {"*": "count"}}

# Chinese text: segment it as Mandarin whatever characters it shares with Japanese.
LOCALIZED_ATTRIBUTES = [
    {
        "attributePatterns": [
            "title",
            "title_words",
            "county_name",
            "prefecture_name",
            "province_name",
            "category_label",
            "cooperative_name",
            "description_text",
        ],
        "locales": ["cmn"],
    }
]


def synonyms() -> dict[str, list[str]]:
    """The same groups the embedded backend expands (search/synonyms.py), as Meilisearch wants
    them: each word mapped to its alternatives."""
    return {word: list(words[1:]) for word, words in synonym_index().items() if len(words) > 1}


def index_settings() -> dict[str, Any]:
    """The complete settings object for `PATCH /indexes/{uid}/settings`."""
    return {
        "displayedAttributes": ["id"],
        "searchableAttributes": SEARCHABLE_ATTRIBUTES,
        "filterableAttributes": FILTERABLE_ATTRIBUTES,
        "sortableAttributes": SORTABLE_ATTRIBUTES,
        "rankingRules": RANKING_RULES,
        "typoTolerance": TYPO_TOLERANCE,
        "pagination": PAGINATION,
        "faceting": FACETING,
        "synonyms": synonyms(),
        "stopWords": sorted(QUERY_STOPWORDS),
        "localizedAttributes": LOCALIZED_ATTRIBUTES,
    }
