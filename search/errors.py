"""Errors of the search library: the backend is down, or the query cannot be answered."""

from __future__ import annotations


class SearchError(Exception):
    """Base of every error the library raises on purpose; `code` is snake_case for the app."""

    code = "search_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SearchUnavailable(SearchError):
    """The backend cannot be reached or is not ready (a 503 for the app, never the user's fault)."""

    code = "search_unavailable"


class InvalidQuery(SearchError):
    """The query itself is wrong (a 422 for the app); `fields` names each bad field."""

    code = "invalid_query"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})


class InvalidDocument(SearchError):
    """A document handed to `index()` breaks the contract (a bug in the caller)."""

    code = "invalid_document"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})


class IndexingFailed(SearchError):
    """The backend refused or failed an indexing task."""

    code = "indexing_failed"
