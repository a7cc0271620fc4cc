"""The request's unit of work: one session per request, committed before the response is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield the request's session; commit if the route returned, roll back if it raised.

    Declared with scope="function" so the commit happens before the response is sent:
    a client never sees a success that was not stored.
    """
    database = request.app.state.database
    factory = database.reader if request.method in SAFE_METHODS else database.writer
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


DbSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
