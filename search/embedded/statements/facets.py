"""FacetStatements: the counts of one query (the total, the province × category matrix, the
labels), from the rows or, on SQLite, from the summaries kept by triggers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.sql.expression import FromClause, TableClause

from search.embedded.schema import (
    facet_names,
    label_counts,
    label_counts_day,
    labels,
    product_counts,
    products,
)
from search.embedded.statements.filters import QueryFilters
from search.query import FacetValue


class FacetStatements(QueryFilters):
    """The counting statements of one query; each facet leaves its own filter out."""

    def count(self) -> Select[int]:
        _, conditions, from_ = self._source(joined=True)
        return select(func.count()).select_from(from_).where(*conditions)

    def matrix(self) -> Select[str, str | None, str, str | None, int]:
        """Counts per (province, category) under every filter but those two, with names."""
        query = self.query
        # SQLite only: PostgreSQL reads the facet index in group order as fast (21 against
        # 25 ms for 26,000 products in a range of 100,000) and without a heap visit per row
        # where the visibility map is not yet set.
        if (
            self.dialect == "sqlite"
            and self.text is None
            and query.label is None
            and query.brand is None
            and query.county is None
            and query.prefecture is None
            and (query.min_price_fen is not None or query.max_price_fen is not None)
        ):
            return self._price_range_matrix()
        table, conditions, from_ = self._source(province=False, category=False, joined=True)
        return self._named_matrix(table, conditions, func.count(), from_)

    def _price_range_matrix(self) -> Select[str, str | None, str, str | None, int]:
        """SQLite, a price range without text: for each (province, category, key assistance,
        stock) group the summary knows, the products in the range counted through the facet
        index, whose columns are those of the group followed by the price. A range of the
        index per group, where reading the whole index took 13 ms and grouping a range of
        the price index needs a sort (26,000 rows in 100,000: 28 ms)."""
        query = self.query
        summary = product_counts
        groups = (
            select(
                summary.c.province_code,
                summary.c.category,
                summary.c.key_assistance,
                summary.c.in_stock,
            )
            .where(*self._summary_conditions(summary, province=False, category=False))
            .distinct()
            .subquery("groups")
        )
        priced = products.alias("priced")
        in_range: list[ColumnElement[bool]] = []
        if query.min_price_fen is not None:
            in_range.append(priced.c.min_price_fen >= self.value("min_price_fen"))
        if query.max_price_fen is not None:
            in_range.append(priced.c.min_price_fen <= self.value("max_price_fen"))
        count = (
            select(func.count())
            .select_from(priced)
            .where(
                priced.c.province_code == groups.c.province_code,
                priced.c.category == groups.c.category,
                priced.c.key_assistance == groups.c.key_assistance,
                priced.c.in_stock == groups.c.in_stock,
                *in_range,
            )
            .scalar_subquery()
        )
        counted = select(groups.c.province_code, groups.c.category, count.label("n")).subquery(
            "counted"
        )
        return self._named_matrix(counted, [], func.sum(counted.c.n))

    @staticmethod
    def _named_matrix(
        table: FromClause,
        conditions: list[Any],
        count: ColumnElement[int],
        from_: FromClause | None = None,
    ) -> Select[str, str | None, str, str | None, int]:
        grouped = (
            select(table.c.province_code, table.c.category, count.label("n"))
            .select_from(from_ if from_ is not None else table)
            .where(*conditions)
            .group_by(table.c.province_code, table.c.category)
            .subquery("grouped")
        )
        province = facet_names.alias("province_name")
        category = facet_names.alias("category_name")
        return select(
            grouped.c.province_code,
            province.c.name,
            grouped.c.category,
            category.c.name,
            grouped.c.n,
        ).select_from(
            grouped.outerjoin(
                province,
                and_(province.c.facet == "province", province.c.value == grouped.c.province_code),
            ).outerjoin(
                category,
                and_(category.c.facet == "category", category.c.value == grouped.c.category),
            )
        )

    def read_matrix(
        self, rows: Iterable[tuple[Any, ...]]
    ) -> tuple[int, list[FacetValue], list[FacetValue]]:
        """(total, province facet, category facet) from the matrix, applying in Python the
        province and category filters it was counted without."""
        wanted_province, wanted_category = self.query.province, self.query.category
        by_province: dict[tuple[str, str | None], int] = defaultdict(int)
        by_category: dict[tuple[str, str | None], int] = defaultdict(int)
        total = 0
        for province, province_name, category, category_name, counted in rows:
            count = int(counted)  # PostgreSQL's sum of counts is a numeric
            in_province = wanted_province is None or province == wanted_province
            in_category = wanted_category is None or category == wanted_category
            if in_category:
                by_province[(province, province_name)] += count
            if in_province:
                by_category[(category, category_name)] += count
            if in_province and in_category:
                total += count
        return (
            total,
            facet_values((value, name, n) for (value, name), n in by_province.items()),
            facet_values((value, name, n) for (value, name), n in by_category.items()),
        )

    def facets(self) -> CompoundSelect[str, str | None, str | None, str | None, str | None, int]:
        """The matrix rows tagged "matrix" and the label counts tagged "label", in one."""
        matrix = self.matrix().subquery("matrix")
        counts = self.label_counts().subquery("label_counts")
        blank = null().cast(String)
        parts = [
            select(literal("matrix"), *matrix.c),
            select(literal("label"), counts.c.label, blank, blank, blank, counts.c.n),
        ]
        if self.matched is not None and self.dialect == "sqlite":
            # The matches are at hand in this statement; their number chooses the page's plan.
            parts.append(
                select(literal("matches"), blank, blank, blank, blank, func.count()).select_from(
                    self.matched
                )
            )
        return union_all(*parts)

    @property
    def summarised(self) -> bool:
        """Facet counts can come from the summaries kept by triggers (SQLite since schema
        version 3, PostgreSQL since 5): they hold every filter column but the price, and no
        text."""
        query = self.query
        return (
            self.text is None
            and query.min_price_fen is None
            and query.max_price_fen is None
            and query.brand is None  # a second label: the summaries count one at most
        )

    def _summary_conditions(
        self, table: TableClause, *, province: bool = True, category: bool = True
    ) -> list[ColumnElement[bool]]:
        query = self.query
        conditions: list[ColumnElement[bool]] = []
        if province and query.province is not None:
            conditions.append(table.c.province_code == self.value("province"))
        if category and query.category is not None:
            conditions.append(table.c.category == self.value("category"))
        if query.county is not None:
            conditions.append(table.c.county_code == self.value("county"))
        if query.prefecture is not None:
            conditions.extend(self.prefecture_terms(table.c.county_code))
        if query.key_assistance is not None:
            conditions.append(table.c.key_assistance == self.value("key_assistance"))
        if query.in_stock is not None:
            conditions.append(table.c.in_stock == self.value("in_stock"))
        return conditions

    def summary_facets(
        self,
    ) -> CompoundSelect[str, str | None, str | None, str | None, str | None, int]:
        """What facets() returns, from the summaries, and a row tagged "day" with the day the
        label summary counts for (the caller checks it is today)."""
        if self.query.label is None:
            table: TableClause = product_counts
            conditions = self._summary_conditions(table, province=False, category=False)
        else:
            table = label_counts
            conditions = [
                label_counts.c.label == self.value("label"),
                *self._summary_conditions(table, province=False, category=False),
            ]
        matrix = self._named_matrix(table, conditions, func.sum(table.c.n)).subquery("matrix")
        counts = (
            select(label_counts.c.label, func.sum(label_counts.c.n).label("n"))
            .where(*self._summary_conditions(label_counts))
            .group_by(label_counts.c.label)
            .subquery("label_counts")
        )
        blank = null().cast(String)
        return union_all(
            select(literal("matrix"), *matrix.c),
            select(literal("label"), counts.c.label, blank, blank, blank, counts.c.n),
            select(
                literal("day"), label_counts_day.c.day.cast(String), blank, blank, blank, literal(0)
            ),
        )

    def label_counts(self) -> Select[str, int]:
        """Valid labels of the matching products under every filter but the label's own; read
        from the label rows alone, which carry the filter columns."""
        joined = self._from_matches(labels, labels.c.product_id)
        return (
            select(labels.c.label, func.count().label("n"))
            .select_from(joined if joined is not None else labels)
            .where(
                self._label_valid(),
                *self._conditions(labels.c, labels.c.product_id, label=False, text=joined is None),
            )
            .group_by(labels.c.label)
        )


def facet_values(rows: Iterable[tuple[Any, Any, int]]) -> list[FacetValue]:
    """The values of one facet from (value, name, count) rows: those counted, most first."""
    values = [
        FacetValue(value=str(value), count=int(count), label=str(label or value))
        for value, label, count in rows
        if count
    ]
    return sorted(values, key=lambda facet: (-facet.count, facet.value))
