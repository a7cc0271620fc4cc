"""MeiliBackend: the product index on a Meilisearch server, through the official client.

The client is synchronous (requests): every call runs in a worker thread with a timeout, and
a server that is down or slow becomes SearchUnavailable. Writes wait for their task, so a
product is searchable when index() returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date
from typing import Any, TypeVar

from meilisearch import Client
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)

from search.documents import CODE_PATTERN, ProductDocument
from search.errors import IndexingFailed, InvalidDocument, InvalidQuery, SearchUnavailable
from search.meili_settings import INDEX_UID, PRIMARY_KEY, index_settings
from search.query import FACET_NAMES, FacetValue, ProductQuery, SearchResult
from search.text import Analyzer, default_analyzer

T = TypeVar("T")

DEFAULT_TIMEOUT_SECONDS = 5
DEFAULT_TASK_TIMEOUT_MS = 30_000
BATCH = 1_000
# A label without an end date: later than any date the app will search on.
NO_EXPIRY = 99_991_231
# A label without a start date: earlier than any date the app will search on.
NO_START = 0
# Meilisearch error codes that are the query's fault (a 4xx for the app, not an outage).
QUERY_ERROR_CODES = frozenset(
    {
        "invalid_search_filter",
        "invalid_search_sort",
        "invalid_search_q",
        "invalid_search_page",
        "invalid_search_hits_per_page",
        "invalid_search_facets",
        "invalid_search_offset",
        "invalid_search_limit",
    }
)
FACET_ATTRIBUTES = {"province": "province_facet", "category": "category_facet", "label": "labels"}


def quote(value: str) -> str:
    """A Meilisearch filter string: double quotes, inner quote and backslash escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def day_number(day: date) -> int:
    """2026-11-28 → 20261128: comparable as a number in filters."""
    return day.year * 10_000 + day.month * 100 + day.day


def label_condition(label: str, today: date) -> str:
    """The label is on the product and valid on `today` (started, not ended). Labels are codes
    ([a-z][a-z0-9_]*, checked by ProductQuery), safe as a nested attribute name."""
    day = day_number(today)
    return (
        f"labels = {quote(label)} AND label_until.{label} >= {day} AND label_from.{label} <= {day}"
    )


def build_filter(query: ProductQuery, today: date, *, skip: str | None = None) -> str | None:
    """The filter expression of a query; `skip` leaves one facet's own filter out.

    province = "450000" AND labels = "gi" AND label_until.gi >= 20261128
    AND label_from.gi <= 20261128 AND min_price_fen >= 100
    """
    parts: list[str] = []
    if query.province is not None and skip != "province":
        parts.append(f"province_code = {quote(query.province)}")
    if query.county is not None:
        parts.append(f"county_code = {quote(query.county)}")
    if query.prefecture is not None:
        parts.append(f"prefecture_code = {quote(query.prefecture)}")
    if query.category is not None and skip != "category":
        parts.append(f"category = {quote(query.category)}")
    if query.label is not None and skip != "label":
        parts.append(label_condition(query.label, today))
    if query.brand is not None:
        parts.append(label_condition(query.brand, today))
    if query.key_assistance is not None:
        parts.append(f"key_assistance = {'true' if query.key_assistance else 'false'}")
    if query.in_stock is not None:
        parts.append(f"in_stock = {'true' if query.in_stock else 'false'}")
    if query.min_price_fen is not None:
        parts.append(f"min_price_fen >= {int(query.min_price_fen)}")
    if query.max_price_fen is not None:
        parts.append(f"min_price_fen <= {int(query.max_price_fen)}")
    return " AND ".join(parts) or None


def prefecture_code(county_code: str) -> str:
    """The prefecture a county lies in: its code's first four digits, then 00."""
    return county_code[:4] + "00"


def sort_of(query: ProductQuery) -> list[str] | None:
    if query.sort == "price_asc":
        return ["min_price_fen:asc"]
    if query.sort == "price_desc":
        return ["min_price_fen:desc"]
    if query.sort == "newest":
        return ["published_ts:desc"]
    if query.sort == "rating":
        return ["rating_milli:desc", "rating_count:desc"]
    return None  # relevance: the ranking rules


def meili_document(doc: ProductDocument, analyzer: Analyzer) -> dict[str, Any]:
    """The JSON document Meilisearch stores for a product (fields named in meili_settings)."""
    tokens = analyzer.analyse(doc)
    return {
        "id": doc.id,
        "title": doc.title,
        "title_words": tokens.title,
        "title_pinyin": tokens.pinyin,
        "description_text": doc.description_text[:5_000],
        "category": doc.category,
        "category_label": doc.category_label,
        "category_facet": f"{doc.category}|{doc.category_label}",
        "unit": doc.unit,
        "cooperative_id": doc.cooperative_id,
        "cooperative_name": doc.cooperative_name,
        "county_code": doc.county_code,
        "county_name": doc.county_name,
        "prefecture_code": prefecture_code(doc.county_code),
        "prefecture_name": doc.prefecture_name,
        "province_code": doc.province_code,
        "province_name": doc.province_name,
        "province_facet": f"{doc.province_code}|{doc.province_name}",
        "place_pinyin": " ".join(
            token for token in tokens.place.split() if token.isascii() and token.isalpha()
        ),
        "key_assistance": doc.key_assistance,
        "key_assistance_rank": 1 if doc.key_assistance else 0,
        "labels": list(doc.labels),
        "label_until": {
            label: day_number(doc.label_valid_until[label])
            if label in doc.label_valid_until
            else NO_EXPIRY
            for label in doc.labels
        },
        "label_from": {
            label: day_number(doc.label_valid_from[label])
            if label in doc.label_valid_from
            else NO_START
            for label in doc.labels
        },
        "min_price_fen": doc.min_price_fen,
        "max_price_fen": doc.max_price_fen,
        "in_stock": doc.in_stock,
        "published_ts": int(doc.published_at.astimezone(UTC).timestamp()),
        "popularity": doc.popularity,
        "rating_milli": doc.rating_milli,
        "rating_count": doc.rating_count,
    }


def _facet_values(distribution: Mapping[str, int]) -> list[FacetValue]:
    values = []
    for key, count in distribution.items():
        value, _, label = key.partition("|")
        values.append(FacetValue(value=value, count=int(count), label=label or value))
    return sorted(values, key=lambda facet: (-facet.count, facet.value))


class MeiliBackend:
    """SearchBackend on a Meilisearch server."""

    name = "meilisearch"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        index_uid: str = INDEX_UID,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
        task_timeout_ms: int = DEFAULT_TASK_TIMEOUT_MS,
        analyzer: Analyzer | None = None,
    ) -> None:
        self._client = Client(url, api_key, timeout=timeout_seconds)
        self._index_uid = index_uid
        self._task_timeout_ms = task_timeout_ms
        self.analyzer = analyzer or default_analyzer()

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
            raise SearchUnavailable(f"Meilisearch cannot be reached: {exc.message}") from exc
        except MeilisearchApiError as exc:
            if exc.code in QUERY_ERROR_CODES:
                raise InvalidQuery(f"Meilisearch refused the query: {exc.message}") from exc
            raise SearchUnavailable(f"Meilisearch failed: {exc.code}: {exc.message}") from exc
        except MeilisearchError as exc:
            raise SearchUnavailable(f"Meilisearch failed: {exc.message}") from exc
        except OSError as exc:  # requests' own errors (RequestException is an OSError)
            raise SearchUnavailable(f"Meilisearch cannot be reached: {exc}") from exc

    async def _wait(self, task_uid: int, *, allowed_codes: frozenset[str] = frozenset()) -> None:
        task = await self._call(
            self._client.wait_for_task, task_uid, timeout_in_ms=self._task_timeout_ms
        )
        if task.status != "succeeded":
            code = (task.error or {}).get("code")
            if code in allowed_codes:
                return
            raise IndexingFailed(f"Meilisearch task {task_uid} {task.status}: {task.error}")

    # -- writing ----------------------------------------------------------------------------

    async def index(
        self, docs: Iterable[ProductDocument], *, texts_as_indexed: bool = False
    ) -> None:
        # Meilisearch is sent whole documents (a partial update would create a document of
        # those fields alone for an id it does not hold), so the texts are analysed anyway.
        del texts_as_indexed
        latest: dict[int, ProductDocument] = {}
        for doc in docs:
            if not isinstance(doc, ProductDocument):
                raise InvalidDocument("index() takes ProductDocument objects")
            latest[doc.id] = doc
        payload = [meili_document(doc, self.analyzer) for doc in latest.values()]
        index = self._client.index(self._index_uid)
        for start in range(0, len(payload), BATCH):
            info = await self._call(
                index.add_documents, payload[start : start + BATCH], PRIMARY_KEY
            )
            await self._wait(info.task_uid)

    async def delete(self, ids: Iterable[int]) -> None:
        unique = sorted({int(product_id) for product_id in ids})
        index = self._client.index(self._index_uid)
        for start in range(0, len(unique), BATCH):
            listed = ", ".join(str(product_id) for product_id in unique[start : start + BATCH])
            # By filter: deleting by a list of ids is deprecated in the client.
            info = await self._call(index.delete_documents, filter=f"id IN [{listed}]")
            await self._wait(info.task_uid)

    async def clear(self) -> None:
        info = await self._call(self._client.index(self._index_uid).delete_all_documents)
        await self._wait(info.task_uid)

    async def ensure_ready(self) -> None:
        """Create the index if missing and apply the settings of meili_settings."""
        info = await self._call(
            self._client.create_index, self._index_uid, {"primaryKey": PRIMARY_KEY}
        )
        await self._wait(info.task_uid, allowed_codes=frozenset({"index_already_exists"}))
        index = self._client.index(self._index_uid)
        info = await self._call(index.update_settings, index_settings())
        await self._wait(info.task_uid)

    async def drop_index(self) -> None:
        """Delete the whole index (tests, or before a reindex from scratch)."""
        info = await self._call(self._client.delete_index, self._index_uid)
        await self._wait(info.task_uid, allowed_codes=frozenset({"index_not_found"}))

    async def health(self) -> bool:
        try:
            return await asyncio.to_thread(self._client.is_healthy)
        except OSError:
            return False

    # -- reading ----------------------------------------------------------------------------

    def _request(self, q: str, **extra: Any) -> dict[str, Any]:
        request: dict[str, Any] = {
            "indexUid": self._index_uid,
            "q": q,
            "matchingStrategy": "all",
            "attributesToRetrieve": ["id"],
        }
        request.update(extra)
        return {key: value for key, value in request.items() if value is not None}

    def query_text(self, query: ProductQuery) -> str:
        """The words Meilisearch is asked for: the analyzer's, space-separated. Quotes, minus
        signs and other punctuation a user types stay plain text, as on the embedded backend,
        instead of becoming Meilisearch's phrase or negation syntax; and the app's dictionary
        (中宁) decides how Chinese is cut."""
        return " ".join(term.text for term in self.analyzer.parse_query(query.text).terms)

    def search_requests(self, query: ProductQuery, today: date) -> list[dict[str, Any]]:
        """The multi-search payload: the page, then one facet query per facet (each with
        every filter but its own)."""
        q = self.query_text(query)
        requests = [
            self._request(
                q,
                filter=build_filter(query, today),
                sort=sort_of(query),
                page=query.page,
                hitsPerPage=query.per_page,
            )
        ]
        if query.facets:
            requests.extend(
                self._request(
                    q,
                    filter=build_filter(query, today, skip=name),
                    facets=[FACET_ATTRIBUTES[name]],
                    page=1,
                    hitsPerPage=0,
                )
                for name in FACET_NAMES
            )
        return requests

    async def search(self, query: ProductQuery, today: date) -> SearchResult:
        requests = self.search_requests(query, today)
        response = await self._call(self._client.multi_search, requests)
        results: list[dict[str, Any]] = response["results"]
        main = results[0]
        facets: dict[str, list[FacetValue]] = {name: [] for name in FACET_NAMES}
        if query.facets:
            for name, result in zip(FACET_NAMES, results[1:], strict=True):
                distribution = result.get("facetDistribution", {}).get(FACET_ATTRIBUTES[name], {})
                facets[name] = _facet_values(distribution)
            facets["label"] = await self._valid_label_counts(query, today, facets["label"])
        return SearchResult(
            ids=[int(hit["id"]) for hit in main.get("hits", [])],
            total=int(main.get("totalHits", 0)),
            page=query.page,
            per_page=query.per_page,
            backend=self.name,
            facets=facets,
        )

    async def _valid_label_counts(
        self, query: ProductQuery, today: date, candidates: Sequence[FacetValue]
    ) -> list[FacetValue]:
        """The label facet counts only labels still valid today; Meilisearch's distribution
        counts every label a document carries, so each candidate is counted again."""
        # Only codes can name a nested attribute; documents carry nothing else.
        candidates = [facet for facet in candidates if CODE_PATTERN.fullmatch(facet.value)]
        if not candidates:
            return []
        requests = []
        for candidate in candidates:
            others = build_filter(query, today, skip="label")
            condition = label_condition(candidate.value, today)
            requests.append(
                self._request(
                    self.query_text(query),
                    filter=f"{others} AND {condition}" if others else condition,
                    page=1,
                    hitsPerPage=0,
                )
            )
        response = await self._call(self._client.multi_search, requests)
        counted = [
            FacetValue(
                value=candidate.value, count=int(result.get("totalHits", 0)), label=candidate.label
            )
            for candidate, result in zip(candidates, response["results"], strict=True)
        ]
        return sorted(
            (facet for facet in counted if facet.count > 0),
            key=lambda facet: (-facet.count, facet.value),
        )
