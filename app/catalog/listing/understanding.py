"""The listing's query as understood: `q`'s place and label words merged with the filters the
buyer chose, and what the page and the API show of it.

The parsing itself is the search library's (search.understanding), done before any backend,
so the embedded index, Meilisearch and the catalog tables (while search is down) all answer
the same filters and text. An explicit filter wins over words of `q` that contradict it.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.catalog.errors import InvalidSearchQuery
from app.catalog.listing.caching import Reference
from app.catalog.listing.summaries import LABEL_NAMES
from app.catalog.schemas import (
    ProductQuery,
    QueryUnderstanding,
    UnderstoodKind,
    UnderstoodPart,
    brand_label,
)
from search import InvalidQuery, ParsedQuery
from search import ProductQuery as SearchQuery

# The search library's names for the listing's parameters, and back for its field errors.
_QUERY_FIELDS = {"text": "q"}


def understand(query: ProductQuery, known: Reference) -> ParsedQuery:
    """`q` parsed, under the explicit filters of the query."""
    parsed = known.parser.parse(query.q or "")
    return parsed.applied(province=query.province, county=query.county, label=query.label)


@dataclass(frozen=True)
class Filters:
    """The place and label filters the listing applies: chosen ones, else understood ones."""

    province: str | None
    prefecture: str | None
    county: str | None
    label: str | None

    @classmethod
    def of(cls, query: ProductQuery, parsed: ParsedQuery) -> Filters:
        return cls(
            province=query.province or parsed.province,
            prefecture=parsed.prefecture,
            county=query.county or parsed.county,
            label=query.label or parsed.label,
        )


def search_query(
    query: ProductQuery,
    parsed: ParsedQuery,
    *,
    facets: bool = True,
    brands: dict[str, tuple[int, str]] | None = None,
) -> SearchQuery:
    """The search library's query for the listing's, `q` as understood (InvalidSearchQuery
    if the library refuses it). A brand filter is its label in the index ("brand_12")."""
    filters = Filters.of(query, parsed)
    brand = (brands or {}).get(query.brand) if query.brand is not None else None
    try:
        return SearchQuery(
            text=parsed.text,
            province=filters.province,
            prefecture=filters.prefecture,
            county=filters.county,
            label=filters.label,
            category=query.category,
            key_assistance=query.key_assistance,
            brand=brand_label(brand[0]) if brand is not None else None,
            min_price_fen=query.min_price_fen,
            max_price_fen=query.max_price_fen,
            sort=query.sort,
            page=query.page,
            per_page=query.per_page,
            facets=facets,
        )
    except InvalidQuery as exc:
        raise invalid_search_query(exc) from exc


def invalid_search_query(exc: InvalidQuery) -> InvalidSearchQuery:
    """The library's refusal, with the listing's field names."""
    return InvalidSearchQuery(
        {_QUERY_FIELDS.get(name, name): problem for name, problem in exc.fields.items()}
    )


def understanding_out(parsed: ParsedQuery) -> QueryUnderstanding | None:
    """What the page and the API say was understood (None for a query without text)."""
    if not parsed.typed:
        return None
    parts = []
    for part in parsed.parts:
        kind: UnderstoodKind
        if part.kind == "place" and part.level is not None:
            kind, name = part.level, part.name
        elif part.kind == "label":
            kind, name = "label", LABEL_NAMES.get(part.value, part.value)
        else:
            kind, name = "word", part.value
        parts.append(
            UnderstoodPart.model_construct(
                kind=kind,
                typed=part.typed,
                start=part.start,
                end=part.end,
                value=part.value,
                name=name,
                q_without=parsed.without_part(part),
            )
        )
    return QueryUnderstanding.model_construct(
        q=parsed.typed,
        text=parsed.text,
        q_without_parts=_without(parsed, ("place", "label", "word")),
        q_without_text=parsed.parts_only(),
        q_without_places=_without(parsed, ("place",)),
        q_without_labels=_without(parsed, ("label",)),
        parts=parts,
    )


def _without(parsed: ParsedQuery, kinds: tuple[str, ...]) -> str:
    return parsed.without(
        span for part in parsed.parts if part.kind in kinds for span in part.spans
    )
