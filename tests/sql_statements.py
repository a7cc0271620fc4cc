"""The SQL a test's code sends through SQLAlchemy, recorded for the tests that check which
statements ran (and which did not)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from app.core.db import Database


@contextmanager
def recorded_statements(database: Database) -> Iterator[list[str]]:
    """Every statement sent through the database's engine meanwhile, its whitespace folded."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
