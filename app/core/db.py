"""Database engine, declarative base with a constraint naming convention, and unit_of_work()."""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, Enum, Integer, MetaData, Table, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    UOWTransaction,
    mapped_column,
)
from sqlalchemy.types import TypeDecorator

from app.core.clock import utcnow

# Stable constraint names, so that Alembic migrations name the same thing on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC; SQLite hands back naive values, fixed here."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # BIGINT everywhere (fen amounts outgrow 32 bits); SQLite only autoincrements INTEGER keys.
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        int: BigInteger().with_variant(Integer(), "sqlite"),
    }


def table_of(model: type[Base]) -> Table:
    """A model's table, for plain (Core) statements: no ORM work when they run."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


class TimestampMixin:
    """created_at / updated_at columns kept by the ORM."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def create_engine(database_url: str, *, echo: bool = False, **pool: Any) -> AsyncEngine:
    """The one place engines are made: SQLite gets WAL, foreign keys and a busy timeout; a
    server database `pool`'s options (SQLAlchemy's QueuePool's, else its defaults)."""
    if database_url.startswith("sqlite"):
        engine = create_async_engine(
            database_url,
            echo=echo,
            connect_args={"timeout": 30},
        )
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(database_url, echo=echo, **pool)
    _ping_when_idle(engine)
    return engine


# A pooled connection used this recently is taken as alive: under load connections come back
# within milliseconds, and a ping before each request's first statement cost a round trip and
# ~7 % of a placed order's CPU. One idle longer (the server may have restarted or dropped it)
# is pinged first and, if dead, replaced before use, as pool_pre_ping would. A connection that
# dies within the window fails its statement; SQLAlchemy then invalidates the whole pool.
PING_AFTER_IDLE_SECONDS = 2.0
_RETURNED_AT = "returned_at"


def _ping_when_idle(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the dialect's own error for a closed connection
            raise DisconnectionError("the pooled connection is gone") from exc
        if not alive:
            raise DisconnectionError("the pooled connection is gone")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so that BEGIN IMMEDIATE can be chosen per transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: no deadlock-prone lock upgrades between
        # concurrent writers, which SQLite would otherwise answer with "database is locked".
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def create_sessionmaker(
    engine: AsyncEngine, *, for_writing: bool = True
) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to the engine; on SQLite a writing session begins IMMEDIATE."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if for_writing else engine
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session that commits when the block ends cleanly and rolls back otherwise (CLI, jobs,
    requests). A session the block never used (a page answered from a cache) costs no commit
    and no close: each is a trip through SQLAlchemy's greenlet bridge, ~0.2 ms per request."""
    session = sessionmaker()
    try:
        yield session
        if _holds_work(session):
            await session.commit()
    except BaseException:
        if session.in_transaction():
            await session.rollback()
        raise
    finally:
        if session.in_transaction():
            # As `async with session` closes it: shielded, so that a cancelled request still
            # gives its connection back.
            await asyncio.shield(asyncio.create_task(session.close()))
        elif session.sync_session.identity_map:
            # Committed or rolled back, the connection is back in the pool: closing would only
            # let go of the objects loaded, which needs no I/O. Done here rather than by a task,
            # which runs on a later turn of the event loop and resumes its caller on another
            # (under load, tens of milliseconds each).
            session.sync_session.expunge_all()


def _holds_work(session: AsyncSession) -> bool:
    """Whether committing would do anything: a transaction begun, or objects added or
    deleted that no flush has sent yet (added objects begin no transaction)."""
    return session.in_transaction() or bool(session.new) or bool(session.deleted)


def str_enum(cls: type[enum.StrEnum], length: int = 30) -> Enum:
    """A string enum stored as its values in a VARCHAR with a CHECK, the same on every database."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# A server database's pool of connections for reads (sessions of `Database.reader`): a few,
# as most pages are answered from the caches without one; the most recently returned is used
# first, so that under load it is never idle long enough to need a ping.
READING_POOL = {"pool_size": 3, "max_overflow": 5, "pool_use_lifo": True}


class ReadOnlySession(Session):
    """A session that refuses to write (Database.page_reader's): an ORM flush or an INSERT,
    UPDATE or DELETE statement raises before anything is sent."""


class WriteRefused(RuntimeError):
    """A write was attempted in a ReadOnlySession."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    if session.new or session.dirty or session.deleted:
        raise WriteRefused("a session for reads only was asked to write")


@event.listens_for(ReadOnlySession, "do_orm_execute")
def _refuse_write_statements(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise WriteRefused("a session for reads only was asked to write")


class Database:
    """The engines and the session factories of a process: `writer`, `reader`, and
    `page_reader` for what is built to be kept for every visitor. Reads may skip SQLite's lock;
    on a server database they have a pool of their own, so that a page built during a rush
    never queues for a connection behind orders, which hold theirs for their whole
    transaction (measured in a festival spike: up to 1.8 s)."""

    def __init__(self, database_url: str, *, echo: bool = False) -> None:
        self.url = database_url
        self.engine = create_engine(database_url, echo=echo)
        self.reading_engine = (
            self.engine
            if database_url.startswith("sqlite")
            else create_engine(database_url, echo=echo, **READING_POOL)
        )
        self.writer = create_sessionmaker(self.engine, for_writing=True)
        self.reader = create_sessionmaker(self.reading_engine, for_writing=False)
        # What is built to be kept for every visitor (pages, answers) is read with no
        # transaction of its own on a server database: each statement is its own, as each
        # statement of a READ COMMITTED transaction has its own snapshot anyway, and a build
        # makes no BEGIN and ROLLBACK round trips. In a festival rush each round trip waited a
        # turn of a busy event loop, and visitors waited for the page rendered after a sale
        # where little was left (three round trips for one statement). Reads only.
        self.page_reader = async_sessionmaker(
            self.reading_engine
            if database_url.startswith("sqlite")
            else self.reading_engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            autoflush=True,
            sync_session_class=ReadOnlySession,
        )
        # SQLite lets one writer in at a time and makes the others retry on sleeps inside its
        # busy handler, in no particular order: under load the unlucky ones wait seconds. An
        # in-process first-come-first-served queue in front of it keeps the tail short.
        self.sqlite_write_queue: asyncio.Lock | None = (
            asyncio.Lock() if database_url.startswith("sqlite") else None
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Each engine once: the one for writes (and everything else), then the reads' own."""
        if self.reading_engine is self.engine:
            return (self.engine,)
        return (self.engine, self.reading_engine)

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()
