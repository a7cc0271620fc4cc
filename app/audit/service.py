"""Recording audit entries in the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


async def record(
    session: AsyncSession,
    *,
    actor_user_id: int | None,
    action: str,
    entity_kind: str,
    entity_id: int | str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Write one audit entry; it commits or rolls back with the action it records."""
    entry = AuditEntry(
        actor_user_id=actor_user_id,
        action=action,
        entity_kind=entity_kind,
        entity_id=str(entity_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
    )
    session.add(entry)
    await session.flush()
    return entry


async def entries_for(
    session: AsyncSession, entity_kind: str, entity_id: int | str
) -> list[AuditEntry]:
    result = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_kind == entity_kind, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id)
    )
    return list(result)


async def recent_entries(session: AsyncSession, limit: int = 100) -> list[AuditEntry]:
    result = await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
    return list(result)
