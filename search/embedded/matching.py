"""Full-text conditions and ranks per dialect, built only from the analyzer's tokens.

A query's words arrive as alternatives (see search.text.QueryPlan.resolve): a document
matches when, for every word, it holds all tokens of at least one alternative. Each token is
quoted as a string literal of the target syntax (FTS5 string, tsquery lexeme) and the whole
expression is sent as a bound parameter, so no operator a user types (AND, OR, NEAR, *, ^,
quotes, parentheses, colons) can ever be read as syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, column, func, literal_column, select, table
from sqlalchemy.types import Integer, Text

from search.embedded.schema import FTS_TABLE, TSV_COLUMN, products

Alternatives = tuple[tuple[str, ...], ...]

_fts = table(FTS_TABLE, column("rowid"))
_tsv: ColumnElement[Any] = literal_column(f"search_products.{TSV_COLUMN}")

# Relevance is discrete, so that "equal relevance" exists and the tie-breaks (key-assistance
# county, then newest) decide between listings that match alike. Points, added up:
EXACT_POINTS = 8  # every word found as typed in the title (not through a synonym or correction)
TITLE_POINTS = 4  # every word found in the title (its words, pinyin or characters)
PLACE_POINTS = 2  # every word matched within the place names, category and cooperative
BODY_POINTS = 1  # every word matched within the description
# The same fields on each database: FTS5 columns, and tsvector weight classes.
TITLE_COLUMNS = "{title_tokens pinyin_tokens gram_tokens}"
PLACE_COLUMNS = "{place_tokens}"
BODY_COLUMNS = "{body_tokens}"
TITLE_CLASSES = "{a,c}"
PLACE_CLASSES = "{b}"
BODY_CLASSES = "{d}"


def fts5_string(token: str) -> str:
    """An FTS5 string literal: double quotes, an inner double quote doubled."""
    return '"' + token.replace('"', '""') + '"'


def tsquery_lexeme(token: str) -> str:
    """A quoted tsquery operand: single quotes, inner quote and backslash escaped."""
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
    """('脐橙' | 'qicheng') & ('宁夏') … for PostgreSQL's to_tsquery('simple', …)."""
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
    """The text part of a search: which products match, and how relevant each one is."""

    condition: ColumnElement[bool]
    score: ColumnElement[int]

    @classmethod
    def build(cls, dialect: str, words: Sequence[Alternatives]) -> TextMatch:
        if not words:
            raise ValueError("a text match needs at least one word")
        if dialect == "sqlite":
            return cls._fts5(words)
        if dialect == "postgresql":
            return cls._tsquery(words)
        raise ValueError(f"the embedded search index does not support {dialect!r}")

    @classmethod
    def _fts5(cls, words: Sequence[Alternatives]) -> TextMatch:
        expression = fts5_expression(words)

        def matching(name: str, match: str) -> ColumnElement[bool]:
            condition = literal_column(FTS_TABLE).op("MATCH")(bindparam(name, match, type_=Text))
            return products.c.id.in_(select(_fts.c.rowid).where(condition))

        points = [
            (TITLE_POINTS, matching("fts_title", f"{TITLE_COLUMNS} : ({expression})")),
            (PLACE_POINTS, matching("fts_place", f"{PLACE_COLUMNS} : ({expression})")),
            (BODY_POINTS, matching("fts_body", f"{BODY_COLUMNS} : ({expression})")),
        ]
        originals = _originals(words)
        if originals is not None:
            exact = f"{TITLE_COLUMNS} : ({fts5_expression(originals)})"
            points.append((EXACT_POINTS, matching("fts_exact", exact)))
        return cls(matching("fts_match", expression), _sum_points(points))

    @classmethod
    def _tsquery(cls, words: Sequence[Alternatives]) -> TextMatch:
        def tsquery(name: str, expression: str) -> ColumnElement[Any]:
            return func.to_tsquery(
                literal_column("'simple'"), bindparam(name, expression, type_=Text)
            )

        query = tsquery("ts_query", tsquery_expression(words))

        def within(classes: str) -> ColumnElement[bool]:
            return func.ts_filter(_tsv, literal_column(f"'{classes}'")).op("@@")(query)

        points = [
            (TITLE_POINTS, within(TITLE_CLASSES)),
            (PLACE_POINTS, within(PLACE_CLASSES)),
            (BODY_POINTS, within(BODY_CLASSES)),
        ]
        originals = _originals(words)
        if originals is not None:
            exact = tsquery("ts_exact", tsquery_expression(originals))
            title = func.ts_filter(_tsv, literal_column(f"'{TITLE_CLASSES}'"))
            points.append((EXACT_POINTS, title.op("@@")(exact)))
        return cls(_tsv.op("@@")(query), _sum_points(points))


def _sum_points(points: Sequence[tuple[int, ColumnElement[bool]]]) -> ColumnElement[int]:
    total: ColumnElement[int] = literal_column("0", type_=Integer)
    for weight, condition in points:
        total = total + case((condition, weight), else_=0)
    return total
