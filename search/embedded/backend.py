"""EmbeddedBackend: the search index inside the app's own database (SQLite FTS5 or PostgreSQL).

The app hands over its session factory (or engine); the library never creates engines. Each
call runs in its own transaction, or, through `in_session(session)`, inside the caller's
transaction without committing (an outbox job indexing in the job's own transaction: on
SQLite a second writer would wait for the first).

A search is two statements whatever its filters (plus a vocabulary lookup for Latin words):
the counts (province × category counts of the matching products, which give the province
facet, the category facet and the total; and the label counts), then the page of ids. On
SQLite every statement is a round trip to the driver's thread, so there are few of them.
A listing without text or price range reads its counts from summaries kept by triggers
(schema version 3 on SQLite, 5 on PostgreSQL) instead of the rows. On PostgreSQL a text query
with facets is one statement: its matches carry their columns (schema version 5) and labels
(6), and the counts and the page come from one search of the text index, without a join.
Statements take every value of the query as a named parameter and are built once per shape of
query (search.embedded.statements builds them; this module runs them and keeps them by shape).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from sqlalchemy import Executable, Integer, bindparam, delete, func, select
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from search.documents import ProductDocument
from search.embedded.matching import TextMatch
from search.embedded.schema import (
    facet_names,
    label_counts,
    label_counts_day,
    labels,
    products,
    terms,
    texts,
)
from search.embedded.statements import (
    LABEL_DRIVEN_FROM,
    SearchStatements,
    facet_values,
    page_ids,
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
# PostgreSQL reads: the index is small and hot, and with the default cost of a random page
# (4, spinning disks) the planner hashes all 100,000 products to join a few thousand matches
# instead of looking them up. Measured over the benchmark's statements (EXPLAIN ANALYZE, best
# of 3): 5.2 s at 4, 3.3 s at 1.1. Transaction-local; the first form returns the old value.
_TUNE_PAGE_COST = sql_text(
    "SELECT current_setting('random_page_cost'), set_config('random_page_cost', '1.1', true)"
)
_RESTORE_PAGE_COST = sql_text("SELECT set_config('random_page_cost', :value, true)")
# PostgreSQL writers of the index take this transaction-level advisory lock first: the facet
# summaries' triggers update shared count rows, and two writers locking the same groups in
# different orders would deadlock. Index writes are short; searches never take it.
_WRITERS_LOCK = sql_text("SELECT pg_advisory_xact_lock(hashtext('search_index_writers'))")
_TRY_WRITERS_LOCK = sql_text("SELECT pg_try_advisory_xact_lock(hashtext('search_index_writers'))")
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
                postgres = self._dialect(session) == "postgresql"
                if write and postgres:
                    await session.execute(_WRITERS_LOCK)
                tuned = not write and postgres
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
                if self._dialect(session) == "postgresql":
                    await session.execute(_WRITERS_LOCK if write else _TUNE_PAGE_COST)
                yield session
        except DBAPIError as exc:
            if _unavailable(exc):
                raise SearchUnavailable(f"the embedded search index failed: {exc.orig}") from exc
            raise

    @staticmethod
    def _dialect(session: AsyncSession) -> str:
        return session.get_bind().dialect.name

    # -- writing ----------------------------------------------------------------------------

    async def index(
        self, docs: Iterable[ProductDocument], *, texts_as_indexed: bool = False
    ) -> None:
        """Add or replace these products (the last document of an id wins).

        `texts_as_indexed`: the documents' texts are as when they were last indexed (only their
        stock changed, say): a product already indexed keeps its tokens, and the analyzer's
        dictionaries (~90 MB once loaded) are not needed for it."""
        latest: dict[int, ProductDocument] = {}
        for doc in docs:
            if not isinstance(doc, ProductDocument):
                raise InvalidDocument("index() takes ProductDocument objects")
            latest[doc.id] = doc
        if not latest:
            return
        # Analysed before the writers' lock is taken; or, keeping the texts' tokens, those are
        # read under it (and a product not indexed yet is analysed there).
        rows = None if texts_as_indexed else self._rows(latest.values(), {})
        async with self._transaction(write=True) as session:
            if rows is None:
                rows = self._rows(latest.values(), await self._kept_texts(session, list(latest)))
            await self._delete(session, list(latest))
            # Labels before texts: on PostgreSQL the texts' trigger writes each vectors row
            # with its product's columns and labels in one insert (schema version 6).
            for table, batch in (
                (products, rows.products),
                (labels, rows.labels),
                (texts, rows.texts),
            ):
                for chunk in _chunks(batch):
                    await session.execute(table.insert(), list(chunk))
            await self._upsert_names(session, rows.names)
            await self._add_terms(session, sorted(rows.vocabulary))

    @staticmethod
    async def _kept_texts(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The token rows the index holds for these products, by id."""
        kept: dict[int, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            result = await session.execute(select(texts).where(texts.c.id.in_(chunk)))
            kept.update((row["id"], dict(row)) for row in result.mappings())
        return kept

    def _rows(self, docs: Iterable[ProductDocument], kept: dict[int, dict[str, Any]]) -> _Rows:
        """The rows of these documents; a product in `kept` keeps those tokens (its words are
        in the vocabulary since it was analysed)."""
        rows = _Rows([], [], [], {}, set())
        for doc in docs:
            text_row = kept.get(doc.id)
            if text_row is None:
                tokens = self.analyzer.analyse(doc)
                rows.vocabulary |= tokens.vocabulary
                text_row = {
                    "id": doc.id,
                    "title_tokens": tokens.title,
                    "pinyin_tokens": tokens.pinyin,
                    "place_tokens": tokens.place,
                    "gram_tokens": tokens.grams,
                    "body_tokens": tokens.body,
                }
            rows.texts.append(text_row)
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
                    "rating_milli": doc.rating_milli,
                    "rating_count": doc.rating_count,
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
            for table in (texts, labels, products, facet_names, terms):
                await session.execute(delete(table))

    @staticmethod
    async def _delete(session: AsyncSession, ids: Sequence[int]) -> None:
        # Children first: the app's SQLite connections enforce foreign keys, others may not.
        # Texts (and on PostgreSQL their vectors) before labels, so that no label trigger
        # updates a vectors row about to go.
        for chunk in _chunks(ids):
            await session.execute(delete(texts).where(texts.c.id.in_(chunk)))
            await session.execute(delete(labels).where(labels.c.product_id.in_(chunk)))
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
            search = SearchStatements(query, today, text, dialect, self.label_driven_from)
            facets: dict[str, list[FacetValue]] = {name: [] for name in FACET_NAMES}
            ids: list[int] | None = None
            if query.facets:
                rows = None
                if search.matches_carry_columns:
                    # PostgreSQL, a text: counts and page from one search of the text index.
                    statement = self._statement(("matches", search.shape), search.counts_and_page)
                    params = {
                        **search.params,
                        "page_offset": query.offset,
                        "page_limit": query.per_page,
                    }
                    rows = (await session.execute(statement, params)).all()
                    ids = next((page_ids(row[1]) for row in rows if row[0] == "page"), [])
                elif search.summarised:
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
                facets["label"] = facet_values(
                    (row[1], row[1], row[5]) for row in rows if row[0] == "label"
                )
            else:
                statement = self._statement(("count", search.shape), search.count)
                total = int(await session.scalar(statement, search.params) or 0)
            if ids is None:
                ids = []
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
        valid = SearchStatements.label_valid_on(day)
        try:
            async with self._writer() as session, session.begin():
                # No trigger counts meanwhile. A search never waits for a writer (a full
                # rebuild holds the lock for its whole transaction): a later one tries again.
                if self._dialect(session) == "postgresql" and not await session.scalar(
                    _TRY_WRITERS_LOCK
                ):
                    return
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
        self, session: AsyncSession, search: SearchStatements, dialect: str, total: int
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
