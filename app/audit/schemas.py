"""Views of audit entries for the operator's log (JSON API and page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditActor(BaseModel):
    """Who acted; name and e-mail are None when the account no longer exists."""

    id: int
    display_name: str | None
    email: str | None


class AuditChange(BaseModel):
    """One field that an action changed."""

    field: str
    before: Any
    after: Any


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: AuditActor | None = Field(description="None for actions of the system itself")
    action: str = Field(examples=["cooperative.verify"])
    entity_kind: str = Field(examples=["cooperative"])
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    changes: list[AuditChange] = Field(description="The fields whose value differs")


class AuditLog(BaseModel):
    """Entries, newest first."""

    items: list[AuditEntryOut]
