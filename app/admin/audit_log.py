"""The audit log as operators read it: the newest entries with who made them and the fields that
changed (the audit domain only records; naming the actors needs the accounts, above it)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.admin import repository
from app.audit import service as audit_service
from app.audit.schemas import AuditActor, AuditChange, AuditEntryOut, AuditLog
from app.core.errors import ValidationFailed
from app.core.fields import has_control_characters as unprintable

AUDIT_LOG_MAX_LIMIT = 500


async def audit_log(
    session: AsyncSession,
    *,
    entity_kind: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> AuditLog:
    """The newest audit entries with who made them and what changed."""
    if not 1 <= limit <= AUDIT_LOG_MAX_LIMIT:
        raise ValidationFailed(
            "Invalid limit.", fields={"limit": f"between 1 and {AUDIT_LOG_MAX_LIMIT}"}
        )
    filters = {"entity_kind": entity_kind, "entity_id": entity_id, "action": action}
    bad = [name for name, value in filters.items() if value is not None and unprintable(value)]
    if bad:
        raise ValidationFailed(
            "Invalid filter.", fields={name: "control characters" for name in bad}
        )
    entries = await audit_service.recent_entries(
        session, limit, entity_kind=entity_kind, entity_id=entity_id, action=action
    )
    actor_ids = {e.actor_user_id for e in entries if e.actor_user_id is not None}
    users = await repository.users_by_ids(session, actor_ids)
    items = []
    for entry in entries:
        actor = None
        if entry.actor_user_id is not None:
            user = users.get(entry.actor_user_id)
            actor = AuditActor(
                id=entry.actor_user_id,
                display_name=user.display_name if user else None,
                email=user.email if user else None,
            )
        items.append(
            AuditEntryOut(
                id=entry.id,
                at=entry.at,
                actor=actor,
                action=entry.action,
                entity_kind=entry.entity_kind,
                entity_id=entry.entity_id,
                before=entry.before,
                after=entry.after,
                reason=entry.reason,
                changes=[
                    AuditChange(field=name, before=old, after=new)
                    for name, old, new in audit_service.changed_fields(entry.before, entry.after)
                ],
            )
        )
    return AuditLog(items=items)
