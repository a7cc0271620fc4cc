"""MatchStatements (PostgreSQL): a text query's counts and page in one statement, from one
search of the text index whose matches carry their filter and sort columns (schema 5) and
their labels (schema 6).

The matches (a materialised CTE) are those of the text under every filter that is no facet
(county, prefecture, key assistance, stock, price, brand), with the columns the rest needs.
They feed three parts, tagged like FacetStatements.facets(): the province × category matrix
("matrix"), the label counts ("label"), and the page's ids in order ("page", as one
comma-separated string). Each part applies the facet filters (province, category, label)
itself, leaving out its own facet's, so that no part reads another table: the statement's
plan has no join, and a prepared statement's generic plan (which guesses 500 matches for any
text) is the custom plan's shape.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CTE,
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Integer,
    String,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql import ColumnCollection

from search.embedded.matching import vectors
from search.embedded.statements.facets import FacetStatements
from search.embedded.statements.pages import SORT_ORDERS

PAGE_OFFSET: BindParameter[int] = bindparam("page_offset", type_=Integer)
PAGE_LIMIT: BindParameter[int] = bindparam("page_limit", type_=Integer)
# The label arrays of a match (schema version 6), parallel and in label order.
_LABEL_ARRAYS = ("labels", "label_valid_from", "label_valid_until")


class MatchStatements(FacetStatements):
    """The one statement of a text query with facets on PostgreSQL."""

    @property
    def matches_carry_columns(self) -> bool:
        return self.dialect == "postgresql" and self.text is not None

    def counts_and_page(
        self,
    ) -> CompoundSelect[str, str | None, str | None, str | None, str | None, int]:
        text = self.text
        if text is None or self.dialect != "postgresql":
            raise ValueError("one statement for counts and page: a text query on PostgreSQL")
        sort = self.query.sort
        order_columns = [name for name, _ in SORT_ORDERS[sort] if name != "id"]
        kept = dict.fromkeys(["province_code", "category", *_LABEL_ARRAYS, *order_columns])
        # The filters that are no facet hold for every part: the text index's matches are
        # narrowed by them once, and carry only the columns the parts read. The facets are
        # the parts' own; the brand is read from the arrays, as the label is.
        apart = {"province": False, "category": False, "label": False, "brand": False}
        common = self._conditions(vectors.c, vectors.c.id, text=False, **apart)
        if self.query.brand is not None:
            common.append(self._holds(vectors.c, "brand"))
        hits = text.matched("hits", points=sort == "relevance", columns=list(kept), where=common)
        matrix = self._named_matrix(
            hits, self._facet_terms(hits.c, province=False, category=False), func.count()
        ).subquery("matrix")
        label_counts = self._label_counts(hits)
        order = self._order(hits)
        page = (
            select(*{column.name: column for column in (hits.c.id, *order)}.values())
            .where(*self._facet_terms(hits.c))
            .order_by(
                *(_directed(hits, column, descending) for column, descending in order.items())
            )
            .offset(PAGE_OFFSET)
            .limit(PAGE_LIMIT)
            .subquery("page")
        )
        # The page's ids in its order, as one string: aggregated in the same order.
        page_ids = select(
            func.string_agg(
                page.c.id.cast(String),
                aggregate_order_by(
                    literal_column("','"),
                    *(_directed(page, column, descending) for column, descending in order.items()),
                ),
            )
        )
        blank = null().cast(String)
        return union_all(
            select(literal("matrix"), *matrix.c),
            select(literal("label"), label_counts.c.label, blank, blank, blank, label_counts.c.n),
            select(literal("page"), page_ids.scalar_subquery(), blank, blank, blank, literal(0)),
        )

    def _label_counts(self, hits: CTE) -> Any:
        """The labels that hold today among the matches under every facet filter but the
        label's: the arrays of each match with labels unnested in step (no join)."""
        listed = (
            select(
                *(func.unnest(hits.c[name]).label(name) for name in _LABEL_ARRAYS),
            )
            .where(hits.c.labels.is_not(None), *self._facet_terms(hits.c, label=False))
            .subquery("listed")
        )
        today = self.value("today")
        return (
            select(listed.c.labels.label("label"), func.count().label("n"))
            .where(listed.c.label_valid_from <= today, listed.c.label_valid_until >= today)
            .group_by(listed.c.labels)
            .subquery("label_counts")
        )

    def _facet_terms(
        self,
        columns: ColumnCollection[str, Any],
        *,
        province: bool = True,
        category: bool = True,
        label: bool = True,
    ) -> list[ColumnElement[bool]]:
        """The facet filters over the matches: province, category, and the label from the
        match's own arrays."""
        query = self.query
        terms: list[ColumnElement[bool]] = []
        if province and query.province is not None:
            terms.append(columns.province_code == self.value("province"))
        if category and query.category is not None:
            terms.append(columns.category == self.value("category"))
        if label and query.label is not None:
            terms.append(self._holds(columns, "label"))
        return terms

    def _holds(self, columns: ColumnCollection[str, Any], name: str) -> ColumnElement[bool]:
        """The match holds the label named by the query's `name` value ("label" or "brand")
        today. Without the label (or any), array_position is NULL, and so are both tests."""
        at = func.array_position(columns.labels, self.value(name))
        today = self.value("today")
        return and_(columns.label_valid_from[at] <= today, columns.label_valid_until[at] >= today)

    def _order(self, hits: CTE) -> dict[Any, bool]:
        """The page's sort columns of the matches, each with whether it descends."""
        sort = self.query.sort
        order: dict[Any, bool] = {hits.c.points: True} if sort == "relevance" else {}
        order.update((hits.c[name], descending) for name, descending in SORT_ORDERS[sort])
        return order


def _directed(source: Any, column: Any, descending: bool) -> Any:
    """`column` of `source` (the matches or the page taken from them), in its direction."""
    named = source.c[column.name]
    return named.desc() if descending else named.asc()


def page_ids(value: str | None) -> list[int]:
    """The page's ids from the "page" row's string ("" or None: an empty page)."""
    return [int(part) for part in value.split(",")] if value else []
