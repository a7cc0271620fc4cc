"""The request's unit of work: one session per request, committed before the response is sent."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database, unit_of_work

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield the request's session; commit if the route returned, roll back if it raised.

    Declared with scope="function" so the commit happens before the response is sent:
    a client never sees a success that was not stored.
    """
    database: Database = request.app.state.database
    writing = request.method not in SAFE_METHODS
    factory = database.writer if writing else database.reader
    queue = database.sqlite_write_queue if writing else None
    async with contextlib.AsyncExitStack() as stack:
        if queue is not None:
            await stack.enter_async_context(queue)
        yield await stack.enter_async_context(unit_of_work(factory))


DbSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
