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


async def recent_entries(
    session: AsyncSession,
    limit: int = 100,
    *,
    entity_kind: str | None = None,
    entity_id: int | str | None = None,
    action: str | None = None,
) -> list[AuditEntry]:
    """The newest entries first, optionally of one entity kind, one entity or one action."""
    query = select(AuditEntry)
    if entity_kind is not None:
        query = query.where(AuditEntry.entity_kind == entity_kind)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    if action is not None:
        query = query.where(AuditEntry.action == action)
    result = await session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))
    return list(result)


def changed_fields(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field whose value differs, in the snapshots' order."""
    old, new = before or {}, after or {}
    names = list(old) + [name for name in new if name not in old]
    return [
        (name, old.get(name), new.get(name)) for name in names if old.get(name) != new.get(name)
    ]
