"""HTML routes of the operator tools: the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.admin.audit_log import audit_log
from app.admin.deps import PageOperator
from app.web.db import DbSession
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit", response_class=HTMLResponse)
async def show_audit_log(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    entity_kind: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[str | None, Query(max_length=50)] = None,
) -> Response:
    """The latest audit entries: when, who, what, on which record, before → after, why."""
    log = await audit_log(
        session, entity_kind=entity_kind or None, entity_id=entity_id or None, limit=200
    )
    context = {"log": log, "entity_kind": entity_kind or "", "entity_id": entity_id or ""}
    return render(request, "admin/show_audit_log.html", context)
