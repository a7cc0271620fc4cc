"""Named job handlers: `@job("domain.verb_object")` registers one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.core.mail import Mailer
from search import SearchBackend


@dataclass
class JobContext:
    """What a handler may use: the job's own transaction and the outside-world clients."""

    session: AsyncSession
    settings: Settings
    mailer: Mailer
    http: httpx.AsyncClient
    job_id: int
    attempt: int
    # The app's search backend (None: the embedded index in the job's own database).
    search: SearchBackend | None = None


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]

_handlers: dict[str, Handler] = {}


def job(name: str) -> Callable[[Handler], Handler]:
    """Register `handler` under `name`; names are "domain.verb_object" and unique."""

    def register(handler: Handler) -> Handler:
        existing = _handlers.get(name)
        if existing is not None and existing is not handler:
            raise ValueError(f"job {name!r} is registered twice")
        _handlers[name] = handler
        return handler

    return register


def handler_for(name: str) -> Handler | None:
    return _handlers.get(name)


def registered_names() -> frozenset[str]:
    return frozenset(_handlers)
