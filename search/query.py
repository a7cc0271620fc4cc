"""ProductQuery (what a buyer asks), SearchResult (what a backend answers) and text clean-up."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal, get_args

from search.documents import (
    CODE_PATTERN,
    PREFECTURE_CODE_PATTERN,
    PROVINCE_CODE_PATTERN,
    REGION_CODE_PATTERN,
)
from search.errors import InvalidQuery

Sort = Literal["relevance", "price_asc", "price_desc", "newest", "rating"]
SORTS: tuple[str, ...] = get_args(Sort)
FacetName = Literal["province", "category", "label"]
FACET_NAMES: tuple[FacetName, ...] = get_args(FacetName)

MAX_TEXT_CHARS = 200
# NFKC may expand a character into many (U+FDFA into 18), so the raw text is cut first to bound
# the work, generously enough that a query padded with spaces or control characters survives.
MAX_RAW_TEXT_CHARS = 8 * MAX_TEXT_CHARS
MAX_PAGE = 10_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 24
MAX_PRICE_FEN = 10**15
# Control, format (zero-width, bidi overrides), surrogate, private-use and unassigned code points
# carry no searchable meaning and some of them upset database drivers (NUL, lone surrogates).
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def normalise_text(text: str) -> str:
    """NFKC, without control characters, whitespace collapsed, at most MAX_TEXT_CHARS long."""
    raw = text[:MAX_RAW_TEXT_CHARS]
    folded = unicodedata.normalize("NFKC", raw)
    kept = "".join(
        " " if char.isspace() else char
        for char in folded
        if char.isspace() or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    return " ".join(kept.split())[:MAX_TEXT_CHARS].rstrip()


@dataclass(frozen=True, slots=True)
class ProductQuery:
    """A listing request: optional text, filters, sort and page. Invalid values raise InvalidQuery.

    `text` is normalised on construction (see normalise_text); a text without any searchable
    word (only punctuation or emoji) filters nothing. Price bounds apply to `min_price_fen`,
    the price listings show. `facets=False` skips the facet counts when a caller needs ids only.
    `prefecture` keeps the counties whose code starts with its first four digits (640500:
    中卫市's counties); the app sets it from a query's place words (search.understanding).
    """

    text: str = ""
    province: str | None = None
    county: str | None = None
    category: str | None = None
    label: str | None = None
    key_assistance: bool | None = None
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    in_stock: bool | None = None
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    facets: bool = True
    prefecture: str | None = None
    # A second label the products must hold, valid today, beside `label`: the app's regional
    # brands are labels of their own ("brand_12"), so that a brand link ends with its
    # certificate, as labels do.
    brand: str | None = None

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        text = self.text if self.text is not None else ""
        if not isinstance(text, str):
            errors["text"] = "must be a string"
        else:
            object.__setattr__(self, "text", normalise_text(text))
        _check_code(errors, "province", self.province, PROVINCE_CODE_PATTERN)
        _check_code(errors, "county", self.county, REGION_CODE_PATTERN)
        _check_code(errors, "prefecture", self.prefecture, PREFECTURE_CODE_PATTERN)
        _check_code(errors, "category", self.category, CODE_PATTERN)
        _check_code(errors, "label", self.label, CODE_PATTERN)
        _check_code(errors, "brand", self.brand, CODE_PATTERN)
        for name in ("key_assistance", "in_stock"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                errors[name] = "must be true, false or absent"
        if not isinstance(self.facets, bool):
            errors["facets"] = "must be true or false"
        for name in ("min_price_fen", "max_price_fen"):
            value = getattr(self, name)
            if value is not None:
                _check_int(errors, name, value, 0, MAX_PRICE_FEN)
        if (
            not errors.keys() & {"min_price_fen", "max_price_fen"}
            and self.min_price_fen is not None
            and self.max_price_fen is not None
            and self.min_price_fen > self.max_price_fen
        ):
            errors["max_price_fen"] = "must not be below min_price_fen"
        if self.sort not in SORTS:
            errors["sort"] = f"must be one of {', '.join(SORTS)}"
        _check_int(errors, "page", self.page, 1, MAX_PAGE)
        _check_int(errors, "per_page", self.per_page, 1, MAX_PER_PAGE)
        if errors:
            raise InvalidQuery("The search query is invalid.", errors)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _check_code(errors: dict[str, str], name: str, value: object, pattern: re.Pattern[str]) -> None:
    if value is not None and (not isinstance(value, str) or pattern.fullmatch(value) is None):
        errors[name] = "is not a valid code"


def _check_int(errors: dict[str, str], name: str, value: object, low: int, high: int) -> None:
    # bool is an int subclass and floats are not integers: both are refused, never coerced.
    if not isinstance(value, int) or isinstance(value, bool):
        errors[name] = "must be an integer"
    elif not low <= value <= high:
        errors[name] = f"must be between {low} and {high}"


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One value of a facet and how many products of the result set (own filter aside) have it.

    `label` is the display name the backend knows (province name, category label); for labels
    it is the kind code itself, and the app names it.
    """

    value: str
    count: int
    label: str = ""


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Product ids of the requested page, best first, with the total and the facets."""

    ids: list[int]
    total: int
    page: int
    per_page: int
    backend: str
    facets: dict[str, list[FacetValue]] = field(
        default_factory=lambda: {name: [] for name in FACET_NAMES}
    )

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
