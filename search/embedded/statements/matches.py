"""MatchStatements (PostgreSQL): a text query's counts and page in one statement, from one
search of the text index whose matches carry their filter and sort columns (schema 5).

The matches (a materialised CTE) feed three parts, tagged like FacetStatements.facets():
the province × category matrix ("matrix"), the label counts ("label"), and the page's ids in
order ("page", as one comma-separated string). Each part filters the matches itself, leaving
out its own facet's filter, so no part reads search_products.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CTE,
    BindParameter,
    CompoundSelect,
    Integer,
    String,
    bindparam,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from search.embedded.schema import labels
from search.embedded.statements.facets import FacetStatements
from search.embedded.statements.pages import SORT_ORDERS

PAGE_OFFSET: BindParameter[int] = bindparam("page_offset", type_=Integer)
PAGE_LIMIT: BindParameter[int] = bindparam("page_limit", type_=Integer)


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
        hits = text.matched("hits", points=True, columns=True)
        matrix = self._named_matrix(
            hits,
            self._conditions(hits.c, hits.c.id, province=False, category=False, text=False),
            func.count(),
        ).subquery("matrix")
        label_counts = (
            select(labels.c.label, func.count().label("n"))
            .select_from(labels.join(hits, labels.c.product_id == hits.c.id))
            .where(
                self._label_valid(),
                *self._conditions(hits.c, hits.c.id, label=False, text=False),
            )
            .group_by(labels.c.label)
            .subquery("label_counts")
        )
        order = self._order(hits)
        page = (
            select(*{column.name: column for column in (hits.c.id, *order)}.values())
            .where(*self._conditions(hits.c, hits.c.id, text=False))
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
