"""Full-text conditions and ranks per dialect, built only from the analyzer's tokens.

A query's words arrive as alternatives (see search.text.QueryPlan.resolve): a document
matches when, for every word, it holds all tokens of at least one alternative. Each token is
quoted as a string literal of the target syntax (FTS5 string, tsquery lexeme) and the whole
expression is sent as a bound parameter, so no operator a user types (AND, OR, NEAR, *, ^,
quotes, parentheses, colons) can ever be read as syntax.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    case,
    column,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR
from sqlalchemy.types import BigInteger, Boolean, Date, DateTime, Integer, String, Text, TypeEngine

from search.embedded.schema import FTS_TABLE, VECTORS_TABLE

Alternatives = tuple[tuple[str, ...], ...]

_fts = table(FTS_TABLE, column("rowid"))
# PostgreSQL: since schema version 5 the vectors carry their product's filter and sort
# columns, so that a match needs no lookup in search_products; since version 6 its labels,
# with the first and last day each holds (-infinity, infinity when open), in parallel arrays
# (NULL without labels).
MATCH_COLUMNS = (
    column("province_code", String()),
    column("category", String()),
    column("county_code", String()),
    column("key_assistance", Boolean()),
    column("in_stock", Boolean()),
    column("min_price_fen", BigInteger()),
    column("published_at", DateTime(timezone=True)),
    column("rating_milli", BigInteger()),
    column("rating_count", BigInteger()),
    column("labels", ARRAY(String())),
    column("label_valid_from", ARRAY(Date())),
    column("label_valid_until", ARRAY(Date())),
)
vectors = table(
    VECTORS_TABLE,
    column("id", Integer),
    column("tsv", TSVECTOR),
    column("title_tsv", TSVECTOR),
    *MATCH_COLUMNS,
)


class _TsQuery(TSQUERY):
    """A tsquery parameter sent as one (`$1::tsquery`): a prepared statement's generic plan
    then holds the parsed query, where a text cast to tsquery is parsed again for every row
    it is tested on (twice per match for the relevance points)."""

    render_bind_cast = True


# Relevance is discrete, so that "equal relevance" exists and the tie-breaks (key-assistance
# county, then newest) decide between listings that match alike. A match anywhere (place
# names, category, cooperative, description) scores 0; on top of that, points added up:
EXACT_POINTS = 2  # every word found as typed in the title (not through a synonym or correction)
TITLE_POINTS = 1  # every word found in the title (its words, pinyin or characters)
# The title fields: FTS5 columns on SQLite (title_tsv holds the same on PostgreSQL). Finer
# tiers (place above description) were tried: each costs one more pass over the matches,
# which a broad word in 100,000 products cannot afford within the latency target.
TITLE_COLUMNS = "{title_tokens pinyin_tokens gram_tokens}"


def fts5_string(token: str) -> str:
    """An FTS5 string literal: double quotes, an inner double quote doubled."""
    return '"' + token.replace('"', '""') + '"'


def tsquery_lexeme(token: str) -> str:
    """A quoted tsquery lexeme (input syntax, no parser): quote and backslash escaped."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def fts5_expression(words: Sequence[Alternatives]) -> str:
    """("脐橙" OR "qicheng") AND ("宁夏") … for SQLite FTS5's MATCH."""
    return " AND ".join(
        "("
        + " OR ".join(
            "(" + " AND ".join(fts5_string(token) for token in group) + ")"
            for group in alternatives
        )
        + ")"
        for alternatives in words
    )


def tsquery_expression(words: Sequence[Alternatives]) -> str:
    """('脐橙' | 'qicheng') & ('宁夏') … cast to PostgreSQL's tsquery as it is."""
    return " & ".join(
        "("
        + " | ".join(
            "(" + " & ".join(tsquery_lexeme(token) for token in group) + ")"
            for group in alternatives
        )
        + ")"
        for alternatives in words
    )


def _originals(words: Sequence[Alternatives]) -> list[Alternatives] | None:
    """The query with each word as typed; None when no word was expanded (same as the query)."""
    if all(len(alternatives) == 1 for alternatives in words):
        return None
    return [alternatives[:1] for alternatives in words]


@dataclass(frozen=True)
class TextMatch:
    """The text part of a search: which products match, and how relevant each one is.

    The matches come from the text index (FTS5 MATCH on SQLite, a GIN search of tsvectors on
    PostgreSQL) once per statement, and the rest of the statement joins them by id.
    """

    dialect: str
    match: BindParameter[str]
    # (points, restricted match) pairs: title fields only, and words as typed.
    points: tuple[tuple[int, BindParameter[str]], ...]

    @classmethod
    def build(
        cls, dialect: str, words: Sequence[Alternatives], *, as_typed: bool = True
    ) -> TextMatch:
        """`as_typed=False`: the words as typed cannot all be in a title (see
        QueryPlan.typed_words_may_be_titles), so that tier is left out."""
        if not words:
            raise ValueError("a text match needs at least one word")
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"the embedded search index does not support {dialect!r}")
        originals = _originals(words) if as_typed else None
        if dialect == "sqlite":
            expression = fts5_expression(words)
            restricted = [(TITLE_POINTS, f"{TITLE_COLUMNS} : ({expression})")]
            if originals is not None:
                exact = f"{TITLE_COLUMNS} : ({fts5_expression(originals)})"
                restricted.append((EXACT_POINTS, exact))
        else:
            expression = tsquery_expression(words)
            restricted = [(TITLE_POINTS, expression)]
            if originals is not None:
                restricted.append((EXACT_POINTS, tsquery_expression(originals)))
        type_: TypeEngine[str] = Text() if dialect == "sqlite" else _TsQuery()
        return cls(
            dialect,
            bindparam("text_match", expression, type_=type_),
            tuple(
                (weight, bindparam(f"text_points_{index}", value, type_=type_))
                for index, (weight, value) in enumerate(restricted)
            ),
        )

    def parameters(self) -> dict[str, str | None]:
        """The values of the match's named parameters (statements built for another query of
        the same shape run with these)."""
        values = {self.match.key: self.match.value}
        values.update((param.key, param.value) for _, param in self.points)
        return values

    def matched(
        self,
        name: str,
        *,
        points: bool = False,
        columns: Sequence[str] = (),
        where: Sequence[ColumnElement[bool]] = (),
    ) -> CTE:
        """The matching products' ids, computed once per statement (a materialised CTE), with
        their relevance points when asked, and on PostgreSQL with these of their `columns`
        (MATCH_COLUMNS) and only the matches that also meet `where` (terms over `vectors`)."""
        if (columns or where) and self.dialect != "postgresql":
            raise ValueError("the matches carry their columns on PostgreSQL only")
        selected: list[ColumnElement[Any]]
        if self.dialect == "sqlite":
            selected = [_fts.c.rowid.label("id")]
            if points:
                # FTS5 tells which fields matched only through more MATCHes, restricted to
                # the title columns: one pass over the index each.
                selected.append(
                    _sum(
                        (weight, _fts.c.rowid.in_(select(_fts.c.rowid).where(_fts5(value))))
                        for weight, value in self.points
                    ).label("points")
                )
            statement = select(*selected).where(_fts5(self.match))
        else:
            selected = [vectors.c.id]
            if points:
                # PostgreSQL tests the title vector of each match it already holds.
                selected.append(
                    _sum(
                        (weight, vectors.c.title_tsv.op("@@")(value))
                        for weight, value in self.points
                    ).label("points")
                )
            selected.extend(vectors.c[name] for name in columns)
            statement = select(*selected).where(vectors.c.tsv.op("@@")(self.match), *where)
        return statement.cte(name).prefix_with("MATERIALIZED")

    def points_of(self, id_column: ColumnElement[int]) -> ColumnElement[int]:
        """SQLite: the relevance points of the product in `id_column`, each restricted match
        read once into a list (for pages of a few matches, after the filters)."""
        return _sum(
            (weight, id_column.in_(select(_fts.c.rowid).where(_fts5(value))))
            for weight, value in self.points
        )

    def tiers(self) -> list[ColumnElement[bool]]:
        """SQLite: for `id`, membership of each relevance tier, best first (points 3, 1, 0
        with words as typed, else 1, 0). Lets a broad query's page walk the index of its
        order tier by tier, instead of ranking thousands of matches."""
        if self.dialect != "sqlite":
            raise ValueError("tiers are for SQLite")
        product_id = literal_column("search_products.id", type_=Integer)

        def within(value: BindParameter[str]) -> ColumnElement[bool]:
            return product_id.in_(select(_fts.c.rowid).where(_fts5(value)))

        restricted = [within(value) for _, value in sorted(self.points, key=lambda p: -p[0])]
        everything = within(self.match)
        tiers: list[ColumnElement[bool]] = []
        for index, condition in enumerate([*restricted, everything]):
            better = restricted[:index]
            tiers.append(and_(condition, *(~earlier for earlier in better)))
        return tiers


def _fts5(value: BindParameter[str]) -> ColumnElement[bool]:
    return literal_column(FTS_TABLE).op("MATCH")(value)


def _sum(points: Iterable[tuple[int, ColumnElement[bool]]]) -> ColumnElement[int]:
    total: ColumnElement[int] = literal_column("0", type_=Integer)
    for weight, condition in points:
        total = total + case((condition, weight), else_=0)
    return total
