"""ProductDocument: what the app hands the library to index, one listed product each."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

from search.errors import InvalidDocument

# Codes the app uses for categories and certificate kinds: "fruit", "green_food".
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,29}")
REGION_CODE_PATTERN = re.compile(r"[0-9]{6}")
PROVINCE_CODE_PATTERN = re.compile(r"[0-9]{2}0000")
# A prefecture: the first four digits of its counties' codes, then 00 (not a province).
PREFECTURE_CODE_PATTERN = re.compile(r"[0-9]{2}(?!00)[0-9]{2}00")
MAX_TITLE_CHARS = 200
MAX_NAME_CHARS = 200
# Fen amounts fit a signed 64-bit column everywhere, and Meilisearch's numbers (f64) exactly.
MAX_FEN = 10**15


@dataclass(frozen=True, slots=True)
class ProductDocument:
    """One product as search sees it; the app rebuilds it whenever any of these facts change.

    Labels: `labels` are the certificate kinds backing the product on the day the app built
    the document. `label_valid_until` maps a kind to the last day (inclusive) it stays valid,
    so that a certificate expiring after indexing stops matching and stops being counted on
    its own: a label matches a search made on `today` only while `today <= valid_until`.
    A kind missing from `label_valid_until` does not expire until the app reindexes.
    `label_valid_from` likewise maps a kind to its first valid day, for a certificate that
    starts after indexing: the label matches only once `valid_from <= today`.

    Prices: `min_price_fen` is the price listings show (the cheapest SKU); the price filters
    and sorts use it, like the catalog's own listing. `max_price_fen` is carried for display.
    """

    id: int
    title: str
    description_text: str
    category: str
    category_label: str
    unit: str
    cooperative_id: int
    cooperative_name: str
    county_code: str
    county_name: str
    prefecture_name: str
    province_code: str
    province_name: str
    key_assistance: bool
    labels: Sequence[str]
    min_price_fen: int
    max_price_fen: int
    in_stock: bool
    published_at: datetime
    label_valid_until: Mapping[str, date] = field(default_factory=dict)
    popularity: int = 0
    label_valid_from: Mapping[str, date] = field(default_factory=dict)
    # Buyers' visible reviews: the average in thousandths of a star (0: none) and their count.
    rating_milli: int = 0
    rating_count: int = 0

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        _check_int(errors, "id", self.id, minimum=1)
        _check_int(errors, "cooperative_id", self.cooperative_id, minimum=1)
        _check_int(errors, "min_price_fen", self.min_price_fen, minimum=0, maximum=MAX_FEN)
        _check_int(errors, "max_price_fen", self.max_price_fen, minimum=0, maximum=MAX_FEN)
        _check_int(errors, "popularity", self.popularity, minimum=0, maximum=MAX_FEN)
        _check_int(errors, "rating_milli", self.rating_milli, minimum=0, maximum=5_000)
        _check_int(errors, "rating_count", self.rating_count, minimum=0, maximum=MAX_FEN)
        if (
            "min_price_fen" not in errors
            and "max_price_fen" not in errors
            and self.min_price_fen > self.max_price_fen
        ):
            errors["max_price_fen"] = "must not be below min_price_fen"
        _check_text(errors, "title", self.title, MAX_TITLE_CHARS, required=True)
        _check_text(errors, "description_text", self.description_text, None)
        for name in ("category_label", "unit", "cooperative_name", "county_name"):
            _check_text(errors, name, getattr(self, name), MAX_NAME_CHARS, required=True)
        for name in ("prefecture_name", "province_name"):
            _check_text(errors, name, getattr(self, name), MAX_NAME_CHARS)
        if not _matches(CODE_PATTERN, self.category):
            errors["category"] = "must be a code like 'fruit'"
        if not _matches(REGION_CODE_PATTERN, self.county_code):
            errors["county_code"] = "must be six digits"
        if not _matches(PROVINCE_CODE_PATTERN, self.province_code):
            errors["province_code"] = "must be six digits ending in 0000"
        elif _matches(REGION_CODE_PATTERN, self.county_code) and (
            self.county_code[:2] != self.province_code[:2]
        ):
            errors["county_code"] = "must lie in province_code"
        for name in ("key_assistance", "in_stock"):
            if not isinstance(getattr(self, name), bool):
                errors[name] = "must be a boolean"
        if not isinstance(self.published_at, datetime) or self.published_at.tzinfo is None:
            errors["published_at"] = "must be a timezone-aware datetime"
        labels = _labels(errors, self.labels)
        valid_until = _label_dates(errors, "label_valid_until", self.label_valid_until, labels)
        valid_from = _label_dates(errors, "label_valid_from", self.label_valid_from, labels)
        for label, start in valid_from.items():
            if label in valid_until and start > valid_until[label]:
                errors["label_valid_from"] = f"{label!r} starts after it ends"
        if errors:
            raise InvalidDocument(f"product document {self.id!r} is invalid", errors)
        # Frozen: normalise the containers once, so the document is safe to share.
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "label_valid_until", MappingProxyType(valid_until))
        object.__setattr__(self, "label_valid_from", MappingProxyType(valid_from))

    def labels_valid_on(self, today: date) -> tuple[str, ...]:
        """The labels that hold on `today` (started and not yet ended)."""
        return tuple(
            label
            for label in self.labels
            if (label not in self.label_valid_until or today <= self.label_valid_until[label])
            and (label not in self.label_valid_from or self.label_valid_from[label] <= today)
        )


def _matches(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _check_int(
    errors: dict[str, str], name: str, value: object, *, minimum: int, maximum: int | None = None
) -> None:
    # bool is an int subclass: True must not become a price of 1 fen.
    if not isinstance(value, int) or isinstance(value, bool):
        errors[name] = "must be an integer"
    elif value < minimum or (maximum is not None and value > maximum):
        errors[name] = (
            f"must be between {minimum} and {maximum}"
            if maximum is not None
            else f"must be at least {minimum}"
        )


def _check_text(
    errors: dict[str, str], name: str, value: object, limit: int | None, *, required: bool = False
) -> None:
    if not isinstance(value, str):
        errors[name] = "must be a string"
    elif "\x00" in value:
        errors[name] = "must not contain NUL"
    elif required and not value.strip():
        errors[name] = "must not be blank"
    elif limit is not None and len(value) > limit:
        errors[name] = f"at most {limit} characters"


def _labels(errors: dict[str, str], labels: object) -> tuple[str, ...]:
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        errors["labels"] = "must be a list of codes"
        return ()
    if not all(_matches(CODE_PATTERN, label) for label in labels):
        errors["labels"] = "each label must be a code like 'gi'"
        return ()
    return tuple(dict.fromkeys(labels))


def _label_dates(
    errors: dict[str, str], name: str, mapping: object, labels: tuple[str, ...]
) -> dict[str, date]:
    if not isinstance(mapping, Mapping):
        errors[name] = "must map labels to dates"
        return {}
    result: dict[str, date] = {}
    for label, day in mapping.items():
        if label not in labels:
            errors[name] = f"{label!r} is not one of labels"
        elif not isinstance(day, date) or isinstance(day, datetime):
            errors[name] = f"{label!r} must map to a date"
        else:
            result[label] = day
    return result
