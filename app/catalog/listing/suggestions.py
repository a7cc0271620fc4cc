"""Nearby queries for a listing that finds nothing: a word or a filter less, a related category.

Only an empty listing asks for them, and each candidate costs one count on the search backend
(at most MAX_CANDIDATES, plus one search for the related category); their results are cached
like any other search, and the suggestions with the page they belong to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from app.catalog.listing.caching import Reference
from app.catalog.listing.summaries import LABEL_NAMES
from app.catalog.listing.understanding import search_query, understand
from app.catalog.schemas import ProductQuery, Suggestion, SuggestionReason
from app.core.fields import yuan_text
from search import ParsedQuery, SearchResult
from search import ProductQuery as SearchQuery

MAX_SUGGESTIONS = 4
# Candidate queries counted at most for one empty listing.
MAX_CANDIDATES = 6
# Filters a suggestion may drop, one at a time (the price range as one).
_DROPPABLE: tuple[tuple[str, ...], ...] = (
    ("label",),
    ("county",),
    ("province",),
    ("category",),
    ("key_assistance",),
    ("min_price_fen", "max_price_fen"),
)

Search = Callable[[SearchQuery], Awaitable[SearchResult]]


async def suggest(
    query: ProductQuery, parsed: ParsedQuery, known: Reference, search: Search
) -> list[Suggestion]:
    """Up to MAX_SUGGESTIONS queries near `query` that find products, nearest first: without
    one understood word (宁夏枸杞 → 枸杞), the related category of the words within the same
    place and label (宁夏 · 干果坚果), without one of the other words, without one filter."""
    base = query.model_copy(update={"page": 1})
    seen = {_identity(base)}
    found: list[Suggestion] = []
    tried = 0

    async def offer(reason: SuggestionReason, changes: dict[str, Any]) -> None:
        nonlocal tried
        candidate = base.model_copy(update=changes)
        identity = _identity(candidate)
        if identity in seen or _lists_everything(candidate) or tried >= MAX_CANDIDATES:
            return
        seen.add(identity)
        tried += 1
        counted = search_query(
            candidate.model_copy(update={"per_page": 1}),
            understand(candidate, known),
            facets=False,
            brands=known.brands,
        )
        total = (await search(counted)).total
        if total:
            found.append(_suggestion(reason, candidate, total, known))

    for part in parsed.parts:
        await offer("drop_word", {"q": parsed.without_part(part) or None})
    if parsed.text and len(found) < MAX_SUGGESTIONS:
        category = await _related_category(parsed, query, known, search)
        if category is not None:
            kept = " ".join(part.typed for part in parsed.parts if part.kind != "word")
            await offer("related_category", {"q": kept or None, "category": category})
    if len(parsed.words) > 1 or (parsed.words and (parsed.parts or _filters(base))):
        for span in parsed.words:
            await offer("drop_word", {"q": parsed.without([span]) or None})
    for names in _DROPPABLE:
        if any(getattr(base, name) is not None for name in names):
            await offer("drop_filter", dict.fromkeys(names))
    return found[:MAX_SUGGESTIONS]


async def _related_category(
    parsed: ParsedQuery, query: ProductQuery, known: Reference, search: Search
) -> str | None:
    """The category where the text alone (no filter) finds the most products."""
    result = await search(SearchQuery(text=parsed.text, per_page=1))
    for facet in result.facets.get("category", []):
        if facet.count and facet.value != query.category and facet.value in known.categories:
            return facet.value
    return None


def _identity(query: ProductQuery) -> str:
    return query.model_dump_json(exclude={"page", "per_page", "sort"})


def _filters(query: ProductQuery) -> list[str]:
    return [name for names in _DROPPABLE for name in names if getattr(query, name) is not None]


def _lists_everything(query: ProductQuery) -> bool:
    """No words and no filter: the whole listing, which the page links to anyway."""
    return not (query.q or "").strip() and not _filters(query)


def _suggestion(
    reason: SuggestionReason, query: ProductQuery, total: int, known: Reference
) -> Suggestion:
    places = {
        name: found
        for name, found in (
            ("province", known.provinces.get(query.province or "")),
            ("county", known.counties.get(query.county or "")),
        )
        if found
    }
    return Suggestion.model_construct(
        title=" · ".join(_title_parts(query, places, known)),
        reason=reason,
        query=query,
        total=total,
        place_names=places,
    )


def _title_parts(query: ProductQuery, places: dict[str, str], known: Reference) -> Iterator[str]:
    if query.q:
        yield query.q
    yield from places.values()
    if query.category in known.categories:
        yield known.categories[query.category][0]
    if query.label:
        yield LABEL_NAMES.get(query.label, query.label)
    if query.key_assistance:
        yield "重点帮扶县"
    if query.min_price_fen is not None or query.max_price_fen is not None:
        low = yuan_text(query.min_price_fen or 0)
        high = yuan_text(query.max_price_fen) if query.max_price_fen is not None else "…"
        yield f"¥{low}–{high}"
