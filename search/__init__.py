"""The product search library; it never imports `app`.

The app builds ProductDocuments from its rows, calls `backend.index(docs)` / `delete(ids)`,
and answers listings with `backend.search(ProductQuery(...), today)` → SearchResult.
"""

from search.backend import SearchBackend
from search.documents import ProductDocument
from search.errors import (
    IndexingFailed,
    InvalidDocument,
    InvalidQuery,
    SearchError,
    SearchUnavailable,
)
from search.query import FacetValue, ProductQuery, SearchResult, normalise_text
from search.text import Analyzer, add_place_names, add_words, default_analyzer

__all__ = [
    "Analyzer",
    "FacetValue",
    "IndexingFailed",
    "InvalidDocument",
    "InvalidQuery",
    "ProductDocument",
    "ProductQuery",
    "SearchBackend",
    "SearchError",
    "SearchResult",
    "SearchUnavailable",
    "add_place_names",
    "add_words",
    "default_analyzer",
    "normalise_text",
]
