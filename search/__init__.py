"""The product search library; it never imports `app`.

The app builds ProductDocuments from its rows, calls `backend.index(docs)` / `delete(ids)`,
and answers listings with `backend.search(ProductQuery(...), today)` → SearchResult. What a
buyer types is understood first (QueryParser: place and label words become filters, English
words Chinese ones), so that every backend gets the same filters and remaining text.
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
from search.places import Place
from search.query import FacetValue, ProductQuery, SearchResult, normalise_text
from search.text import Analyzer, add_place_names, add_words, default_analyzer
from search.understanding import ParsedQuery, QueryParser, Understood

__all__ = [
    "Analyzer",
    "FacetValue",
    "IndexingFailed",
    "InvalidDocument",
    "InvalidQuery",
    "ParsedQuery",
    "Place",
    "ProductDocument",
    "ProductQuery",
    "QueryParser",
    "SearchBackend",
    "SearchError",
    "SearchResult",
    "SearchUnavailable",
    "Understood",
    "add_place_names",
    "add_words",
    "default_analyzer",
    "normalise_text",
]
