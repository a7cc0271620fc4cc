"""EmbeddedBackend: the search index inside the app's own database (SQLite FTS5 or PostgreSQL).

The app hands over its session factory (or engine); the library never creates engines. Each
call runs in its own transaction, or, through `in_session(session)`, inside the caller's
transaction without committing (an outbox job indexing in the job's own transaction: on
SQLite a second writer would wait for the first).

A search is two statements whatever its filters (plus a vocabulary lookup for Latin words):
the counts (province × category counts of the matching products, which give the province
facet, the category facet and the total; and the label counts), then the page of ids. On
SQLite every statement is a round trip to the driver's thread, so there are few of them.
On SQLite a listing without text or price range reads its counts from summaries kept by
triggers (schema version 3) instead of the rows. Statements take every value of the query as
a named parameter and are built once per shape of query.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Date,
    Executable,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    column,
    delete,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnCollection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FromClause, Join, TableClause
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeEngine

from search.documents import ProductDocument
from search.embedded.matching import TextMatch
from search.embedded.schema import (
    facet_names,
    label_counts,
    label_counts_day,
    labels,
    product_counts,
    products,
    terms,
    texts,
)
from search.errors import InvalidDocument, SearchUnavailable
from search.query import FACET_NAMES, FacetValue, ProductQuery, SearchResult
from search.text import Analyzer, default_analyzer

# Rows per statement: below every driver's bound-parameter limit, small enough to stay fast.
CHUNK = 500
# From this many matches on, a page walks the index of its order rather than sorting them.
WALK_INDEX_FROM = 2_000
# With a text and a price order, pages walk the price index only from this many times
# WALK_INDEX_FROM matches on (see EmbeddedBackend._page).
TEXT_PRICE_WALK_FACTOR = 4
# Statements kept by shape: queries have a few hundred shapes (filters present × sort × text).
STATEMENTS_KEPT = 1_000
# The page's window, parameters of the page statements.
_PAGE_OFFSET = bindparam("page_offset", type_=Integer)
_PAGE_LIMIT = bindparam("page_limit", type_=Integer)
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
}
SORT_INDEXES = {
    "relevance": "ix_search_products_relevance",
    "price_asc": "ix_search_products_price",
    "price_desc": "ix_search_products_price",
    "newest": "ix_search_products_newest",
}
# PostgreSQL reads: the index is small and hot, and with the default cost of a random page
# (4, spinning disks) the planner hashes all 100,000 products to join a few thousand matches
# instead of looking them up. Measured over the benchmark's statements (EXPLAIN ANALYZE, best
# of 3): 5.2 s at 4, 3.3 s at 1.1. Transaction-local; the first form returns the old value.
_TUNE_PAGE_COST = sql_text(
    "SELECT current_setting('random_page_cost'), set_config('random_page_cost', '1.1', true)"
)
_RESTORE_PAGE_COST = sql_text("SELECT set_config('random_page_cost', :value, true)")
# SQLSTATE of "relation does not exist": the migrations have not run (PostgreSQL).
UNDEFINED_TABLE = "42P01"

Sessions = async_sessionmaker[AsyncSession]

logger = logging.getLogger(__name__)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unavailable(exc: DBAPIError) -> bool:
    """Errors that mean "the index cannot be used now", as opposed to a bug in a statement."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return getattr(exc.orig, "sqlstate", None) == UNDEFINED_TABLE


@dataclass
class _Rows:
    """The rows one batch of documents writes."""

    products: list[dict[str, Any]]
    texts: list[dict[str, Any]]
    labels: list[dict[str, Any]]
    names: dict[tuple[str, str], str]
    vocabulary: set[str]


class EmbeddedBackend:
    """SearchBackend on the application's database through SQLAlchemy async."""

    def __init__(
        self,
        sessions: Sessions | AsyncEngine,
        *,
        reader: Sessions | None = None,
        analyzer: Analyzer | None = None,
        walk_from: int = WALK_INDEX_FROM,
        label_driven_from: int = LABEL_DRIVEN_FROM,
    ) -> None:
        if isinstance(sessions, AsyncEngine):
            sessions = async_sessionmaker(sessions, expire_on_commit=False)
        self._writer: Sessions = sessions
        self._reader: Sessions = reader or sessions
        self._session: AsyncSession | None = None
        self.analyzer = analyzer or default_analyzer()
        # From this many matches on, pages walk the index of their order (SQLite).
        self.walk_from = walk_from
        # From this many text matches on, a label filter's rows drive the page (SQLite).
        self.label_driven_from = label_driven_from
        # Search statements by shape (see _statement); shared with in_session() copies.
        self._statements: dict[Hashable, Executable] = {}
        bind = sessions.kw.get("bind")
        self.name: str = bind.dialect.name if bind is not None else "embedded"

    def in_session(self, session: AsyncSession) -> EmbeddedBackend:
        """The same index, reading and writing through `session`; the caller commits."""
        bound = EmbeddedBackend(
            self._writer,
            reader=self._reader,
            analyzer=self.analyzer,
            walk_from=self.walk_from,
            label_driven_from=self.label_driven_from,
        )
        bound._statements = self._statements
        bound._session = session
        return bound

    # -- sessions ---------------------------------------------------------------------------

    @asynccontextmanager
    async def _transaction(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        try:
            if self._session is not None:
                session = self._session
                tuned = not write and self._dialect(session) == "postgresql"
                # In the caller's transaction the planner setting is put back after the
                # search, so the caller's own statements keep the cost it chose.
                previous = await session.scalar(_TUNE_PAGE_COST) if tuned else None
                yield session
                if write:
                    await session.flush()
                if previous is not None:
                    await session.execute(_RESTORE_PAGE_COST, {"value": previous})
                return
            factory = self._writer if write else self._reader
            async with factory() as session, session.begin():
                if not write and self._dialect(session) == "postgresql":
                    await session.execute(_TUNE_PAGE_COST)
                yield session
        except DBAPIError as exc:
            if _unavailable(exc):
                raise SearchUnavailable(f"the embedded search index failed: {exc.orig}") from exc
            raise

    @staticmethod
    def _dialect(session: AsyncSession) -> str:
        return session.get_bind().dialect.name

    # -- writing ----------------------------------------------------------------------------

    async def index(self, docs: Iterable[ProductDocument]) -> None:
        """Add or replace these products (the last document of an id wins)."""
        latest: dict[int, ProductDocument] = {}
        for doc in docs:
            if not isinstance(doc, ProductDocument):
                raise InvalidDocument("index() takes ProductDocument objects")
            latest[doc.id] = doc
        if not latest:
            return
        rows = self._rows(latest.values())
        async with self._transaction(write=True) as session:
            await self._delete(session, list(latest))
            for table, batch in ((products, rows.products), (texts, rows.texts)):
                for chunk in _chunks(batch):
                    await session.execute(table.insert(), list(chunk))
            for chunk in _chunks(rows.labels):
                await session.execute(labels.insert(), list(chunk))
            await self._upsert_names(session, rows.names)
            await self._add_terms(session, sorted(rows.vocabulary))

    def _rows(self, docs: Iterable[ProductDocument]) -> _Rows:
        rows = _Rows([], [], [], {}, set())
        for doc in docs:
            tokens = self.analyzer.analyse(doc)
            rows.vocabulary |= tokens.vocabulary
            filters = {
                "province_code": doc.province_code,
                "category": doc.category,
                "county_code": doc.county_code,
                "key_assistance": doc.key_assistance,
                "in_stock": doc.in_stock,
                "min_price_fen": doc.min_price_fen,
            }
            rows.products.append(
                {
                    "id": doc.id,
                    **filters,
                    "cooperative_id": doc.cooperative_id,
                    "max_price_fen": doc.max_price_fen,
                    "published_at": doc.published_at.astimezone(UTC),
                    "popularity": doc.popularity,
                }
            )
            rows.texts.append(
                {
                    "id": doc.id,
                    "title_tokens": tokens.title,
                    "pinyin_tokens": tokens.pinyin,
                    "place_tokens": tokens.place,
                    "gram_tokens": tokens.grams,
                    "body_tokens": tokens.body,
                }
            )
            rows.labels.extend(
                {
                    "product_id": doc.id,
                    "label": label,
                    "valid_until": doc.label_valid_until.get(label),
                    "valid_from": doc.label_valid_from.get(label),
                    **filters,
                }
                for label in doc.labels
            )
            rows.names[("province", doc.province_code)] = doc.province_name
            rows.names[("category", doc.category)] = doc.category_label
        return rows

    async def delete(self, ids: Iterable[int]) -> None:
        """Remove these products; unknown ids are ignored."""
        unique = sorted({int(product_id) for product_id in ids})
        if unique:
            async with self._transaction(write=True) as session:
                await self._delete(session, unique)

    async def clear(self) -> None:
        """Remove every product, the facet names and the vocabulary."""
        async with self._transaction(write=True) as session:
            for table in (labels, texts, products, facet_names, terms):
                await session.execute(delete(table))

    @staticmethod
    async def _delete(session: AsyncSession, ids: Sequence[int]) -> None:
        # Children first: the app's SQLite connections enforce foreign keys, others may not.
        for chunk in _chunks(ids):
            await session.execute(delete(labels).where(labels.c.product_id.in_(chunk)))
            await session.execute(delete(texts).where(texts.c.id.in_(chunk)))
            await session.execute(delete(products).where(products.c.id.in_(chunk)))

    async def _upsert_names(self, session: AsyncSession, names: dict[tuple[str, str], str]) -> None:
        rows = [{"facet": f, "value": v, "name": name} for (f, v), name in sorted(names.items())]
        dialect_insert = (
            postgresql.insert if self._dialect(session) == "postgresql" else sqlite.insert
        )
        statement = dialect_insert(facet_names)
        statement = statement.on_conflict_do_update(
            index_elements=["facet", "value"], set_={"name": statement.excluded.name}
        )
        for chunk in _chunks(rows):
            await session.execute(statement, list(chunk))

    async def _add_terms(self, session: AsyncSession, words: Sequence[str]) -> None:
        dialect_insert = (
            postgresql.insert if self._dialect(session) == "postgresql" else sqlite.insert
        )
        statement = dialect_insert(terms).on_conflict_do_nothing(index_elements=["term"])
        for chunk in _chunks(words):
            await session.execute(statement, [{"term": word} for word in chunk])

    # -- reading ----------------------------------------------------------------------------

    async def search(self, query: ProductQuery, today: date) -> SearchResult:
        """One page of ids in the query's order, the total, and the facets (each facet with
        every filter but its own)."""
        stale = False
        plan = self.analyzer.parse_query(query.text)
        async with self._transaction(write=False) as session:
            dialect = self._dialect(session)
            probes = plan.probes()
            known: set[str] = set()
            if probes:
                found = await session.scalars(
                    select(terms.c.term).where(terms.c.term.in_(sorted(probes)))
                )
                known = set(found)
            words = plan.resolve(known)
            as_typed = plan.typed_words_may_be_titles(known)
            text = TextMatch.build(dialect, words, as_typed=as_typed) if words else None
            search = _Search(query, today, text, dialect, self.label_driven_from)
            facets: dict[str, list[FacetValue]] = {name: [] for name in FACET_NAMES}
            if query.facets:
                rows = None
                if search.summarised:
                    statement = self._statement(("summary", search.shape), search.summary_facets)
                    rows = (await session.execute(statement, search.params)).all()
                    # The label summary counts the labels valid on its own day.
                    stale = ("day", today.isoformat()) not in {row[:2] for row in rows}
                    if stale:
                        rows = None
                if rows is None:
                    statement = self._statement(("facets", search.shape), search.facets)
                    rows = (await session.execute(statement, search.params)).all()
                search.matches = next((row[5] for row in rows if row[0] == "matches"), None)
                matrix = [row[1:] for row in rows if row[0] == "matrix"]
                total, facets["province"], facets["category"] = search.read_matrix(matrix)
                facets["label"] = _facet_values(
                    (row[1], row[1], row[5]) for row in rows if row[0] == "label"
                )
            else:
                statement = self._statement(("count", search.shape), search.count)
                total = int(await session.scalar(statement, search.params) or 0)
            ids: list[int] = []
            if total > query.offset:
                ids = await self._page(session, search, dialect, total)
        if stale and self._session is None:
            await self._count_labels_on(today)
        return SearchResult(
            ids=ids,
            total=total,
            page=query.page,
            per_page=query.per_page,
            backend=dialect,
            facets=facets,
        )

    async def _count_labels_on(self, day: date) -> None:
        """Rebuild the label summary (SQLite) for `day`: the first search of a day finds it
        counted for another one. In its own short write transaction; if the database is busy
        the next search tries again, and searches count the label rows meanwhile."""
        key = [
            labels.c.label,
            labels.c.province_code,
            labels.c.category,
            labels.c.county_code,
            labels.c.key_assistance,
            labels.c.in_stock,
        ]
        valid = _Search.label_valid_on(day)
        try:
            async with self._writer() as session, session.begin():
                await session.execute(delete(label_counts))
                await session.execute(delete(label_counts_day))
                await session.execute(label_counts_day.insert().values(id=1, day=day))
                await session.execute(
                    label_counts.insert().from_select(
                        [column.name for column in key] + ["n"],
                        select(*key, func.count()).where(valid).group_by(*key),
                    )
                )
        except DBAPIError as exc:
            logger.warning("the label counts for %s were not rebuilt: %s", day, exc.orig)

    async def _page(
        self, session: AsyncSession, search: _Search, dialect: str, total: int
    ) -> list[int]:
        query = search.query
        walk_from = self.walk_from
        if search.text is not None and query.sort in ("price_asc", "price_desc"):
            # A text's matches cluster along the price index (apples cost alike): walking it
            # for the 2,640 matches of 苹果 read 40% of the index (8.7 ms) where sorting them
            # took 2.9 ms; for 9,000 matches walking wins again.
            walk_from *= TEXT_PRICE_WALK_FACTOR
        walk = dialect == "sqlite" and total >= walk_from
        text = search.text
        if not (walk and text is not None and query.sort == "relevance"):
            statement = self._statement(
                ("page", search.shape, walk, search.label_driven),
                lambda: search.page(walk=walk).offset(_PAGE_OFFSET).limit(_PAGE_LIMIT),
            )
            params = {**search.params, "page_offset": query.offset, "page_limit": query.per_page}
            return list(await session.scalars(statement, params))
        # A broad text query on SQLite: each relevance tier in turn, walking the index of the
        # tie-break order, until the page is full.
        wanted = query.offset + query.per_page
        tiers = text.tiers

        def tier_page(tier: int) -> Callable[[], Executable]:
            return lambda: search.tier_page(tiers()[tier]).limit(_PAGE_LIMIT)

        ids: list[int] = []
        for tier in range(len(text.points) + 1):
            statement = self._statement(("tier", search.shape, tier), tier_page(tier))
            params = {**search.params, "page_limit": wanted - len(ids)}
            ids.extend(await session.scalars(statement, params))
            if len(ids) >= wanted:
                break
        return ids[query.offset :]

    def _statement(self, key: Hashable, build: Callable[[], Executable]) -> Any:
        """The statement of this shape, built on first use. Building one (SQLAlchemy
        constructs) cost 1.5–2.5 ms of every search; the statements take every value of the
        query as a named parameter, so they are shared by all queries of a shape."""
        statement = self._statements.get(key)
        if statement is None:
            statement = build()
            if len(self._statements) >= STATEMENTS_KEPT:  # the oldest goes
                self._statements.pop(next(iter(self._statements)))
            self._statements[key] = statement
        return statement

    # -- operations -------------------------------------------------------------------------

    async def ensure_ready(self) -> None:
        """Check that the migration created the tables (the embedded index has no settings)."""
        async with self._transaction(write=False) as session:
            for table in (products, texts, labels, facet_names, terms):
                await session.execute(select(*table.primary_key.columns).limit(0))

    async def health(self) -> bool:
        try:
            await self.ensure_ready()
        except SearchUnavailable:
            return False
        return True


def _facet_values(rows: Iterable[tuple[Any, Any, int]]) -> list[FacetValue]:
    values = [
        FacetValue(value=str(value), count=int(count), label=str(label or value))
        for value, label, count in rows
        if count
    ]
    return sorted(values, key=lambda facet: (-facet.count, facet.value))


# The query's filter values, named parameters of its statements, with their types.
_FILTER_TYPES: dict[str, TypeEngine[Any]] = {
    "province": String(),
    "category": String(),
    "county": String(),
    "key_assistance": Boolean(),
    "in_stock": Boolean(),
    "min_price_fen": BigInteger(),
    "max_price_fen": BigInteger(),
    "label": String(),
}


class _Search:
    """The statements of one query; each facet leaves its own filter out."""

    def __init__(
        self,
        query: ProductQuery,
        today: date,
        text: TextMatch | None,
        dialect: str,
        label_driven_from: int = LABEL_DRIVEN_FROM,
    ) -> None:
        self.query = query
        self.text = text
        self.dialect = dialect
        # The text's matches, computed once in each statement that refers to them.
        self.matched = text.matched("matched") if text is not None else None
        # How many products the text matches, when the facets counted them (SQLite).
        self.matches: int | None = None
        self.label_driven_from = label_driven_from
        # Every value of the query is a named parameter, so that the statements of one shape
        # (dialect, filters present, sort, text's tiers) are built once and run with the
        # values of each query (see EmbeddedBackend._statement).
        values: dict[str, Any] = {name: getattr(query, name) for name in _FILTER_TYPES}
        self.params: dict[str, Any] = {f"q_{name}": value for name, value in values.items()}
        self.params["q_today"] = today
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
        type_ = _FILTER_TYPES.get(name, Date())
        return bindparam(f"q_{name}", self.params[f"q_{name}"], type_=type_)

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

    def _conditions(
        self,
        columns: ColumnCollection[str, Any],
        id_column: ColumnElement[int],
        *,
        province: bool = True,
        category: bool = True,
        label: bool = True,
        text: bool = True,
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
        return conditions

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

    def count(self) -> Select[int]:
        _, conditions, from_ = self._source(joined=True)
        return select(func.count()).select_from(from_).where(*conditions)

    def matrix(self) -> Select[str, str | None, str, str | None, int]:
        """Counts per (province, category) under every filter but those two, with names."""
        query = self.query
        if (
            self.dialect == "sqlite"
            and self.text is None
            and query.label is None
            and query.county is None
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
        for province, province_name, category, category_name, count in rows:
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
            _facet_values((value, name, n) for (value, name), n in by_province.items()),
            _facet_values((value, name, n) for (value, name), n in by_category.items()),
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
        """Facet counts can come from the summaries kept by triggers (SQLite, schema version
        3): they hold every filter column but the price, and no text."""
        query = self.query
        return (
            self.dialect == "sqlite"
            and self.text is None
            and query.min_price_fen is None
            and query.max_price_fen is None
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
