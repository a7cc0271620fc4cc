"""The SQL a test's code sends through SQLAlchemy, recorded for the tests that check which
statements ran (and which did not)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from app.core.db import Database


@contextmanager
def listening(database: Database, name: str, listener: Callable[..., Any]) -> Iterator[None]:
    """`listener` on the `name` event of each of the database's engines meanwhile (on a server
    database the reads have an engine of their own)."""
    engines = [engine.sync_engine for engine in database.engines]
    for engine in engines:
        event.listen(engine, name, listener)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, name, listener)


@contextmanager
def recorded_statements(database: Database) -> Iterator[list[str]]:
    """Every statement sent through the database's engines meanwhile, its whitespace folded."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    with listening(database, "before_cursor_execute", record):
        yield seen
