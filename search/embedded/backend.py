"""EmbeddedBackend: the search index inside the app's own database (SQLite FTS5 or PostgreSQL).

The app hands over its session factory (or engine); the library never creates engines. Each
call runs in its own transaction, or, through `in_session(session)`, inside the caller's
transaction without committing (an outbox job indexing in the job's own transaction: on
SQLite a second writer would wait for the first).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from search.documents import ProductDocument
from search.embedded.matching import TextMatch
from search.embedded.schema import labels, products, terms
from search.errors import InvalidDocument, SearchUnavailable
from search.query import FACET_NAMES, FacetValue, ProductQuery, SearchResult
from search.text import Analyzer, default_analyzer

# Rows per statement: below every driver's bound-parameter limit, small enough to stay fast.
CHUNK = 500
# SQLSTATE of "relation does not exist": the migrations have not run (PostgreSQL).
UNDEFINED_TABLE = "42P01"

Sessions = async_sessionmaker[AsyncSession]


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unavailable(exc: DBAPIError) -> bool:
    """Errors that mean "the index cannot be used now", as opposed to a bug in a statement."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return getattr(exc.orig, "sqlstate", None) == UNDEFINED_TABLE


class EmbeddedBackend:
    """SearchBackend on the application's database through SQLAlchemy async."""

    def __init__(
        self,
        sessions: Sessions | AsyncEngine,
        *,
        reader: Sessions | None = None,
        analyzer: Analyzer | None = None,
    ) -> None:
        if isinstance(sessions, AsyncEngine):
            sessions = async_sessionmaker(sessions, expire_on_commit=False)
        self._writer: Sessions = sessions
        self._reader: Sessions = reader or sessions
        self._session: AsyncSession | None = None
        self.analyzer = analyzer or default_analyzer()
        bind = sessions.kw.get("bind")
        self.name: str = bind.dialect.name if bind is not None else "embedded"

    def in_session(self, session: AsyncSession) -> EmbeddedBackend:
        """The same index, reading and writing through `session`; the caller commits."""
        bound = EmbeddedBackend(self._writer, reader=self._reader, analyzer=self.analyzer)
        bound._session = session
        return bound

    # -- sessions ---------------------------------------------------------------------------

    @asynccontextmanager
    async def _transaction(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        try:
            if self._session is not None:
                yield self._session
                if write:
                    await self._session.flush()
                return
            factory = self._writer if write else self._reader
            async with factory() as session, session.begin():
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
        product_rows: list[dict[str, Any]] = []
        label_rows: list[dict[str, Any]] = []
        vocabulary: set[str] = set()
        for doc in latest.values():
            tokens = self.analyzer.analyse(doc)
            vocabulary |= tokens.vocabulary
            product_rows.append(
                {
                    "id": doc.id,
                    "title_tokens": tokens.title,
                    "pinyin_tokens": tokens.pinyin,
                    "place_tokens": tokens.place,
                    "gram_tokens": tokens.grams,
                    "body_tokens": tokens.body,
                    "category": doc.category,
                    "category_label": doc.category_label,
                    "county_code": doc.county_code,
                    "province_code": doc.province_code,
                    "province_name": doc.province_name,
                    "cooperative_id": doc.cooperative_id,
                    "key_assistance": doc.key_assistance,
                    "min_price_fen": doc.min_price_fen,
                    "max_price_fen": doc.max_price_fen,
                    "in_stock": doc.in_stock,
                    "published_at": doc.published_at.astimezone(UTC),
                    "popularity": doc.popularity,
                }
            )
            label_rows.extend(
                {
                    "product_id": doc.id,
                    "label": label,
                    "valid_until": doc.label_valid_until.get(label),
                }
                for label in doc.labels
            )
        async with self._transaction(write=True) as session:
            await self._delete(session, list(latest))
            for rows in _chunks(product_rows):
                await session.execute(products.insert(), list(rows))
            for rows in _chunks(label_rows):
                await session.execute(labels.insert(), list(rows))
            await self._add_terms(session, sorted(vocabulary))

    async def delete(self, ids: Iterable[int]) -> None:
        """Remove these products; unknown ids are ignored."""
        unique = sorted({int(product_id) for product_id in ids})
        if unique:
            async with self._transaction(write=True) as session:
                await self._delete(session, unique)

    async def clear(self) -> None:
        """Remove every product and the vocabulary."""
        async with self._transaction(write=True) as session:
            await session.execute(delete(labels))
            await session.execute(delete(products))
            await session.execute(delete(terms))

    @staticmethod
    async def _delete(session: AsyncSession, ids: Sequence[int]) -> None:
        for chunk in _chunks(ids):
            await session.execute(delete(labels).where(labels.c.product_id.in_(chunk)))
            await session.execute(delete(products).where(products.c.id.in_(chunk)))

    async def _add_terms(self, session: AsyncSession, words: Sequence[str]) -> None:
        dialect = self._dialect(session)
        for chunk in _chunks(words):
            rows = [{"term": word} for word in chunk]
            if dialect == "postgresql":
                await session.execute(
                    postgresql.insert(terms).on_conflict_do_nothing(index_elements=["term"]),
                    rows,
                )
            else:
                await session.execute(
                    sqlite.insert(terms).on_conflict_do_nothing(index_elements=["term"]), rows
                )

    # -- reading ----------------------------------------------------------------------------

    async def search(self, query: ProductQuery, today: date) -> SearchResult:
        """One page of ids in the query's order, the total, and the facets (each facet with
        every filter but its own)."""
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
            text = TextMatch.build(dialect, words) if words else None
            filters = _Filters(query, today, text)
            total = int(
                await session.scalar(
                    select(func.count()).select_from(products).where(*filters.all())
                )
                or 0
            )
            ids: list[int] = []
            if total > query.offset:
                page = filters.page_query().offset(query.offset).limit(query.per_page)
                ids = list(await session.scalars(page))
            facets: dict[str, list[FacetValue]] = {name: [] for name in FACET_NAMES}
            if query.facets:
                facets = {
                    "province": await self._group_counts(session, filters.province_facet()),
                    "category": await self._group_counts(session, filters.category_facet()),
                    "label": await self._group_counts(session, filters.label_facet()),
                }
        return SearchResult(
            ids=ids,
            total=total,
            page=query.page,
            per_page=query.per_page,
            backend=dialect,
            facets=facets,
        )

    @staticmethod
    async def _group_counts(
        session: AsyncSession, statement: Select[str, str, int]
    ) -> list[FacetValue]:
        values = [
            FacetValue(value=str(value), count=int(count), label=str(label))
            for value, label, count in (await session.execute(statement)).all()
        ]
        return sorted(values, key=lambda facet: (-facet.count, facet.value))

    # -- operations -------------------------------------------------------------------------

    async def ensure_ready(self) -> None:
        """Check that the migration created the tables (the embedded index has no settings)."""
        async with self._transaction(write=False) as session:
            for table in (products, labels, terms):
                await session.execute(select(*table.primary_key.columns).limit(0))

    async def health(self) -> bool:
        try:
            await self.ensure_ready()
        except SearchUnavailable:
            return False
        return True


class _Filters:
    """WHERE conditions of one query, each facet leaving its own filter out."""

    def __init__(self, query: ProductQuery, today: date, text: TextMatch | None) -> None:
        self.query = query
        self.today = today
        self.text = text

    def _label_valid(self) -> ColumnElement[bool]:
        return or_(labels.c.valid_until.is_(None), labels.c.valid_until >= self.today)

    def all(self, *, skip: str | None = None) -> list[ColumnElement[bool]]:
        query = self.query
        conditions: list[ColumnElement[bool]] = []
        if self.text is not None:
            conditions.append(self.text.condition)
        if query.province is not None and skip != "province":
            conditions.append(products.c.province_code == query.province)
        if query.county is not None:
            conditions.append(products.c.county_code == query.county)
        if query.category is not None and skip != "category":
            conditions.append(products.c.category == query.category)
        if query.label is not None and skip != "label":
            conditions.append(
                products.c.id.in_(
                    select(labels.c.product_id).where(
                        labels.c.label == query.label, self._label_valid()
                    )
                )
            )
        if query.key_assistance is not None:
            conditions.append(products.c.key_assistance == query.key_assistance)
        if query.in_stock is not None:
            conditions.append(products.c.in_stock == query.in_stock)
        if query.min_price_fen is not None:
            conditions.append(products.c.min_price_fen >= query.min_price_fen)
        if query.max_price_fen is not None:
            conditions.append(products.c.min_price_fen <= query.max_price_fen)
        return conditions

    def page_query(self) -> Select[int]:
        sort = self.query.sort
        newest = (products.c.published_at.desc(), products.c.id.desc())
        if sort == "relevance":
            order: tuple[Any, ...] = (products.c.key_assistance.desc(), *newest)
            if self.text is not None:
                order = (self.text.score.desc(), *order)
        elif sort == "price_asc":
            order = (products.c.min_price_fen.asc(), products.c.id.asc())
        elif sort == "price_desc":
            order = (products.c.min_price_fen.desc(), products.c.id.desc())
        else:
            order = newest
        return select(products.c.id).where(*self.all()).order_by(*order)

    def province_facet(self) -> Select[str, str, int]:
        return (
            select(
                products.c.province_code,
                func.max(products.c.province_name),
                func.count(),
            )
            .where(*self.all(skip="province"))
            .group_by(products.c.province_code)
        )

    def category_facet(self) -> Select[str, str, int]:
        return (
            select(products.c.category, func.max(products.c.category_label), func.count())
            .where(*self.all(skip="category"))
            .group_by(products.c.category)
        )

    def label_facet(self) -> Select[str, str, int]:
        return (
            select(labels.c.label, labels.c.label.label("name"), func.count())
            .join(products, products.c.id == labels.c.product_id)
            .where(self._label_valid(), *self.all(skip="label"))
            .group_by(labels.c.label)
        )
