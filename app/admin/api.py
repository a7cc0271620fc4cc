"""JSON routes of the operator tools: the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.admin.audit_log import AUDIT_LOG_MAX_LIMIT, audit_log
from app.admin.deps import Operator
from app.audit.schemas import AuditLog
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["admin"], responses=API_ERROR_RESPONSES)


@router.get(
    "/admin/audit",
    response_model=AuditLog,
    status_code=200,
    summary="The audit log (operator)",
)
async def show_audit_log(
    operator: Operator,
    session: DbSession,
    entity_kind: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[str | None, Query(max_length=50)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=AUDIT_LOG_MAX_LIMIT)] = 100,
) -> AuditLog:
    """The newest entries first: who did what to which record, before and after, and why."""
    return await audit_log(
        session, entity_kind=entity_kind, entity_id=entity_id, action=action, limit=limit
    )
