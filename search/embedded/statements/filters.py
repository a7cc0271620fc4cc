"""QueryFilters: a query's values as named parameters of its statements, and the WHERE terms
of its filters over the product rows or the label rows (which carry the same columns)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Boolean,
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    exists,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql import ColumnCollection
from sqlalchemy.sql.expression import FromClause, Join, TableClause
from sqlalchemy.types import TypeEngine

from search.embedded.matching import TextMatch
from search.embedded.schema import labels, products
from search.query import ProductQuery

# The query's filter values, named parameters of its statements, with their types.
_FILTER_TYPES: dict[str, TypeEngine[Any]] = {
    "province": String(),
    "category": String(),
    "county": String(),
    "prefecture": String(),
    "key_assistance": Boolean(),
    "in_stock": Boolean(),
    "min_price_fen": BigInteger(),
    "max_price_fen": BigInteger(),
    "label": String(),
    "brand": String(),
}
# Values derived from the query's: the last county code of its prefecture.
_DERIVED_TYPES: dict[str, TypeEngine[Any]] = {"prefecture_last": String()}


def prefecture_range(prefecture: str | None) -> tuple[str, str] | None:
    """The county codes of a prefecture, first and last: 640500 → 640500 … 640599."""
    return None if prefecture is None else (prefecture, prefecture[:4] + "99")


class QueryFilters:
    """A query's values as named parameters, its shape, and the WHERE terms of its filters."""

    def __init__(
        self,
        query: ProductQuery,
        today: date,
        text: TextMatch | None,
        dialect: str,
        label_driven_from: int,
    ) -> None:
        self.query = query
        self.text = text
        self.dialect = dialect
        # The text's matches, computed once in each statement that refers to them.
        self.matched = text.matched("matched") if text is not None else None
        # How many products the text matches, when the facets counted them (SQLite).
        self.matches: int | None = None
        # From this many matches on, a label filter's rows drive the page (PageStatements).
        self.label_driven_from = label_driven_from
        # Every value of the query is a named parameter, so that the statements of one shape
        # (dialect, filters present, sort, text's tiers) are built once and run with the
        # values of each query (see EmbeddedBackend._statement).
        values: dict[str, Any] = {name: getattr(query, name) for name in _FILTER_TYPES}
        self.params: dict[str, Any] = {f"q_{name}": value for name, value in values.items()}
        self.params["q_today"] = today
        codes = prefecture_range(query.prefecture)
        self.params["q_prefecture_last"] = codes[1] if codes else None
        if text is not None:
            self.params.update(text.parameters())
        self.shape: tuple[Any, ...] = (
            dialect,
            tuple(name for name, value in values.items() if value is not None),
            query.sort,
            None if text is None else len(text.points),
        )

    def value(self, name: str) -> BindParameter[Any]:
        """The named parameter of one of the query's values (or "today")."""
        type_ = _FILTER_TYPES.get(name) or _DERIVED_TYPES.get(name, Date())
        return bindparam(f"q_{name}", self.params[f"q_{name}"], type_=type_)

    def _conditions(
        self,
        columns: ColumnCollection[str, Any],
        id_column: ColumnElement[int],
        *,
        province: bool = True,
        category: bool = True,
        label: bool = True,
        text: bool = True,
        brand: bool = True,
        counting: bool = False,
    ) -> list[ColumnElement[bool]]:
        """WHERE terms over search_products or search_product_labels (same column names)."""
        query = self.query
        conditions: list[ColumnElement[bool]] = []
        if text and self.matched is not None:
            conditions.append(id_column.in_(select(self.matched.c.id)))
        plain = self._plain
        if province and query.province is not None:
            conditions.append(plain(columns.province_code) == self.value("province"))
        if category and query.category is not None:
            conditions.append(plain(columns.category) == self.value("category"))
        if query.county is not None:
            conditions.append(plain(columns.county_code) == self.value("county"))
        if query.prefecture is not None:
            conditions.extend(self.prefecture_terms(plain(columns.county_code)))
        if query.key_assistance is not None:
            conditions.append(plain(columns.key_assistance) == self.value("key_assistance"))
        if query.in_stock is not None:
            conditions.append(plain(columns.in_stock) == self.value("in_stock"))
        # Counting on SQLite, the price range never picks the price index: a wide range read
        # through it is sorted for the grouping (34 ms for 5,000–8,000 fen in 100,000), where
        # the facet index, read whole in group order, is bounded at about 11 ms whatever range.
        price = self._plain(columns.min_price_fen, always=counting)
        if query.min_price_fen is not None:
            conditions.append(price >= self.value("min_price_fen"))
        if query.max_price_fen is not None:
            conditions.append(price <= self.value("max_price_fen"))
        if label and query.label is not None:
            conditions.append(self._has_label(id_column))
        if brand and query.brand is not None:
            conditions.append(self._has_brand(id_column))
        return conditions

    def _has_brand(self, id_column: ColumnElement[int]) -> ColumnElement[bool]:
        """The product holds the brand's label, valid today: looked up in an alias of the label
        rows, since `id_column` may be the label rows' own (a label filter's rows driving)."""
        rows = labels.alias("brand_labels")
        day = self.value("today")
        return exists().where(
            rows.c.product_id == id_column,
            rows.c.label == self.value("brand"),
            or_(rows.c.valid_until.is_(None), rows.c.valid_until >= day),
            or_(rows.c.valid_from.is_(None), rows.c.valid_from <= day),
        )

    def prefecture_terms(self, county_code: ColumnElement[str]) -> list[ColumnElement[bool]]:
        """The county code within the prefecture's range (an index range, not a LIKE)."""
        return [
            county_code >= self.value("prefecture"),
            county_code <= self.value("prefecture_last"),
        ]

    def _has_label(self, id_column: ColumnElement[int]) -> ColumnElement[bool]:
        """On SQLite a lookup of (product, label) in the label rows' primary key for each row
        the other terms keep: as `id IN (…)` SQLite lists every product of the label first
        (15,000 for `gi` in 100,000), which cost 30 ms where the page needed 24 rows."""
        valid = self._label_valid()
        if self.dialect == "sqlite":
            return exists().where(
                labels.c.product_id == id_column, labels.c.label == self.value("label"), valid
            )
        return id_column.in_(
            select(labels.c.product_id).where(labels.c.label == self.value("label"), valid)
        )

    def _plain(self, column: ColumnElement[Any], *, always: bool = False) -> ColumnElement[Any]:
        """With a text on SQLite, a filter column is written `+column`, SQLite's way of keeping
        a term from choosing an index: the text's matches drive the statement. (Without
        statistics the planner takes `key_assistance = 0` for ten rows, not ninety thousand,
        and walks that index testing each row against the matches.)"""
        if (self.text is None and not always) or self.dialect != "sqlite":
            return column
        table = getattr(column, "table", None)
        return literal_column(f"+{table.name}.{column.name}", type_=column.type)  # type: ignore[union-attr]

    def _label_valid(self) -> ColumnElement[bool]:
        """The label holds today: decided when reading, so that neither a certificate's end
        nor its start (after the product was indexed) waits for a reindex."""
        return self.label_valid_on(self.value("today"))

    @staticmethod
    def label_valid_on(day: date | BindParameter[date]) -> ColumnElement[bool]:
        return and_(
            or_(labels.c.valid_until.is_(None), labels.c.valid_until >= day),
            or_(labels.c.valid_from.is_(None), labels.c.valid_from <= day),
        )

    def _source(
        self, *, province: bool = True, category: bool = True, joined: bool = False
    ) -> tuple[Any, list[Any], FromClause]:
        """The table to count from, its conditions and what to select from. With a label
        filter, the label rows: they carry every filter column, so the count never visits
        search_products. `joined`: the text's matches joined in (see _from_matches)."""
        table: TableClause = products if self.query.label is None else labels
        id_column = products.c.id if self.query.label is None else labels.c.product_id
        matches = self._from_matches(table, id_column) if joined else None
        from_: FromClause = matches if matches is not None else table
        text = matches is None
        if self.query.label is None:
            conditions = self._conditions(
                products.c,
                products.c.id,
                province=province,
                category=category,
                counting=True,
                text=text,
            )
            return products, conditions, from_
        conditions = [
            self._plain(labels.c.label) == self.value("label"),
            self._label_valid(),
            *self._conditions(
                labels.c,
                labels.c.product_id,
                province=province,
                category=category,
                label=False,
                text=text,
            ),
        ]
        return labels, conditions, from_

    def _from_matches(self, table: TableClause, id_column: ColumnElement[int]) -> Join | None:
        """SQLite, with a text: the matches joined to `table`, each match looked up once,
        instead of `id IN (matches)`, which copies the matches again for every use (茶's facet
        counts: 15.2 → 12.2 ms CPU). None otherwise."""
        if self.dialect != "sqlite" or self.matched is None:
            return None
        # `+` keeps SQLite from indexing the matches and reading all of `table` instead.
        matched_id = literal_column(f"+{self.matched.name}.id", type_=Integer)
        return self.matched.join(table, id_column == matched_id)
