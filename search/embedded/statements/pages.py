"""PageStatements: one query's page of ids in its order, read by sorting the matches, by
walking the index of the order, through a label's rows, or relevance tier by tier."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, column, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.sql.visitors import InternalTraversal

from search.embedded.matching import TextMatch
from search.embedded.schema import labels, products
from search.embedded.statements.filters import QueryFilters

# From this many text matches on, a page with a label filter is found through the label's
# rows, each probed in the matches (SQLite): probing every match for the label cost 14 ms for
# 9,000 matches, reading the rows of the largest label (15% of products) about 3 ms.
LABEL_DRIVEN_FROM = 2_000
# Each sort as (column, descending) pairs, ties broken by id; and the index that serves it.
SORT_ORDERS: dict[str, tuple[tuple[str, bool], ...]] = {
    "relevance": (("key_assistance", True), ("published_at", True), ("id", True)),
    "price_asc": (("min_price_fen", False), ("id", False)),
    "price_desc": (("min_price_fen", True), ("id", True)),
    "newest": (("published_at", True), ("id", True)),
    "rating": (("rating_milli", True), ("rating_count", True), ("id", True)),
}
SORT_INDEXES = {
    "relevance": "ix_search_products_relevance",
    "price_asc": "ix_search_products_price",
    "price_desc": "ix_search_products_price",
    "newest": "ix_search_products_newest",
    "rating": "ix_search_products_rating",
}


class PageStatements(QueryFilters):
    """The statements of one query's page of ids."""

    @property
    def label_driven(self) -> bool:
        """SQLite, a label filter and a broad text: the page is found through the label's
        rows (see _label_driven)."""
        return (
            self.dialect == "sqlite"
            and self.query.label is not None
            and self.matched is not None
            and self.matches is not None
            and self.matches >= self.label_driven_from
        )

    def page(self, *, walk: bool) -> Select[int]:
        """The ids in the query's order. With `walk` (SQLite, a broad listing) the index of
        the order is walked with the filters tested on its entries instead of sorting every
        match: the planner, not knowing how many rows a filter leaves, would sort thousands."""
        sort = self.query.sort
        if sort == "relevance" and self.text is not None:
            return self._ranked_page(self.text)
        source: Any = products
        label_driven = self._label_driven()
        if label_driven is not None:
            statement = label_driven
        elif walk:
            source = _IndexedBy(SORT_INDEXES[sort])
            statement = select(source.c.id).where(*self._conditions(source.c, source.c.id))
        elif self.query.label is not None:
            # Few matches: find them through the label rows (which carry the filter columns),
            # then read only those products.
            _, conditions, _ = self._source()
            statement = (
                select(products.c.id)
                .select_from(labels.join(products, products.c.id == labels.c.product_id))
                .where(*conditions)
            )
        else:
            statement = select(products.c.id).where(*self._conditions(products.c, products.c.id))
        return statement.order_by(*_order(source.c, sort))

    def _label_driven(self) -> Select[int] | None:
        """SQLite, a label filter and a broad text: the label's valid rows under the filters
        (read through the label index, which carries the filter columns), each probed in the
        text's matches, joined to their products for the order. None otherwise."""
        matched = self.matched
        if not self.label_driven or matched is None:
            return None
        # `+column` keeps SQLite from looking each match up in the label rows instead.
        probed = literal_column(f"+{labels.name}.product_id", type_=labels.c.product_id.type)
        return (
            select(products.c.id)
            .select_from(labels.join(products, products.c.id == labels.c.product_id))
            .where(
                labels.c.label == self.value("label"),
                self._label_valid(),
                probed.in_(select(matched.c.id)),
                *self._conditions(labels.c, labels.c.product_id, label=False, text=False),
            )
        )

    def tier_page(self, tier: ColumnElement[bool]) -> Select[int]:
        """The products of one relevance tier under the filters, in tie-break order, read by
        walking the relevance index (SQLite)."""
        walked = _IndexedBy(SORT_INDEXES["relevance"])
        return (
            select(walked.c.id)
            .where(tier, *self._conditions(walked.c, walked.c.id, text=False))
            .order_by(*_order(walked.c, "relevance"))
        )

    def _ranked_page(self, text: TextMatch) -> Select[int]:
        """Text relevance: the matches with their points, best first, then the tie-breaks."""
        if self.dialect == "sqlite":
            # Points only for the matches the filters keep (few: many go tier by tier).
            statement = self._label_driven()
            if statement is None:
                statement = select(products.c.id).where(
                    *self._conditions(products.c, products.c.id)
                )
            return statement.order_by(
                text.points_of(products.c.id).desc(), *_order(products.c, "relevance")
            )
        ranked = text.matched("ranked", points=True)
        return (
            select(products.c.id)
            .join(ranked, ranked.c.id == products.c.id)
            .where(*self._conditions(products.c, products.c.id, text=False))
            .order_by(ranked.c.points.desc(), *_order(products.c, "relevance"))
        )


def _order(columns: Any, sort: str) -> list[ColumnElement[Any]]:
    return [
        columns[name].desc() if descending else columns[name].asc()
        for name, descending in SORT_ORDERS[sort]
    ]


class _IndexedBy(TableClause):
    """search_products read through one named index (SQLite's INDEXED BY)."""

    # The index name joins SQLAlchemy's cache key, so compiled statements stay cached.
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own declaration, extended
        *TableClause._traverse_internals,
        ("index", InternalTraversal.dp_string),
    ]

    def __init__(self, index: str) -> None:
        super().__init__(products.name, *(column(c.name, c.type) for c in products.c))
        self.index = index


@compiles(_IndexedBy, "sqlite")
def _compile_indexed_by(element: _IndexedBy, compiler: SQLCompiler, **kw: Any) -> str:
    table: str = compiler.visit_table(element, **kw)  # type: ignore[no-untyped-call]
    return f"{table} INDEXED BY {element.index}"
