"""SearchStatements: the statements of one search, built once per shape of query.

A search is two statements whatever its filters: the counts (facets.py), then the page of
ids (pages.py); both take the query's values as named parameters and filter alike
(filters.py), so that the backend keeps each statement by shape and runs it with the values
of every query of that shape (see EmbeddedBackend._statement).
"""

from __future__ import annotations

from search.embedded.statements.facets import FacetStatements, facet_values
from search.embedded.statements.filters import QueryFilters
from search.embedded.statements.matches import MatchStatements, page_ids
from search.embedded.statements.pages import LABEL_DRIVEN_FROM, PageStatements

__all__ = [
    "LABEL_DRIVEN_FROM",
    "FacetStatements",
    "MatchStatements",
    "PageStatements",
    "QueryFilters",
    "SearchStatements",
    "facet_values",
    "page_ids",
]


class SearchStatements(MatchStatements, PageStatements):
    """The statements of one query; each facet leaves its own filter out."""
