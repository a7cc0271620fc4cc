"""SearchBackend: what every backend offers the app (embedded SQL, Meilisearch)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol, runtime_checkable

from search.documents import ProductDocument
from search.errors import InvalidQuery, SearchError, SearchUnavailable
from search.query import ProductQuery, SearchResult

__all__ = ["InvalidQuery", "SearchBackend", "SearchError", "SearchUnavailable"]


@runtime_checkable
class SearchBackend(Protocol):
    """A product index. Every method may raise SearchUnavailable when the backend is down.

    `search` raises InvalidQuery for a query the backend cannot answer (a 4xx for the app);
    ProductQuery already refuses malformed values when it is built. `today` is the calendar
    day (China time, chosen by the app) on which labels must still be valid.
    """

    name: str

    async def index(
        self, docs: Iterable[ProductDocument], *, texts_as_indexed: bool = False
    ) -> None:
        """Add or replace these products; returns once they are searchable.

        `texts_as_indexed`: the caller knows the documents' texts (title, description, place
        names…) have not changed since they were last indexed, only other fields (stock): a
        backend may keep what it derived from the texts rather than analysing them again."""
        ...

    async def delete(self, ids: Iterable[int]) -> None:
        """Remove these products; unknown ids are ignored."""
        ...

    async def search(self, query: ProductQuery, today: date) -> SearchResult: ...

    async def clear(self) -> None:
        """Remove every product."""
        ...

    async def ensure_ready(self) -> None:
        """Create the index or check it exists, and apply its settings."""
        ...

    async def health(self) -> bool:
        """True when the backend answers; never raises."""
        ...
