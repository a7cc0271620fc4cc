"""The operator's review of suppliers: the status machine (verify, reject, suspend, reinstate),
each change with its audit entry, and the lists operators work through."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit_service
from app.cooperative import repository
from app.cooperative.errors import InvalidStatusTransition
from app.cooperative.models import Cooperative, SupplierStatus
from app.cooperative.schemas import CooperativeOut, CooperativePage, ReviewQueue
from app.cooperative.service.fields import check_reason
from app.cooperative.service.suppliers import ENTITY_KIND, cooperative_view, load_cooperative
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.core.fields import MAX_ID
from app.jobs.service import enqueue

MAX_PER_PAGE = 100
REVIEW_QUEUE_LIMIT = 200


class StatusAction(enum.StrEnum):
    """What an operator can do to a supplier."""

    VERIFY = "verify"
    REJECT = "reject"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


# The state machine: each action's allowed starting statuses and the status it leads to.
# Rejected is final (the applicant registers again); only a suspension can be undone.
TRANSITIONS: dict[StatusAction, tuple[frozenset[SupplierStatus], SupplierStatus]] = {
    StatusAction.VERIFY: (frozenset({SupplierStatus.PENDING}), SupplierStatus.VERIFIED),
    StatusAction.REJECT: (frozenset({SupplierStatus.PENDING}), SupplierStatus.REJECTED),
    StatusAction.SUSPEND: (frozenset({SupplierStatus.VERIFIED}), SupplierStatus.SUSPENDED),
    StatusAction.REINSTATE: (frozenset({SupplierStatus.SUSPENDED}), SupplierStatus.VERIFIED),
}
REASON_REQUIRED = frozenset({StatusAction.REJECT, StatusAction.SUSPEND})


def available_actions(status: SupplierStatus) -> list[StatusAction]:
    """The operator actions a supplier in `status` allows."""
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def _status_snapshot(cooperative: Cooperative) -> dict[str, Any]:
    return {
        "status": cooperative.status,
        "status_reason": cooperative.status_reason,
        "verified_at": cooperative.verified_at,
    }


# Handled by the catalog (a higher domain), named rather than imported.
REINDEX_PRODUCTS_JOB = "catalog.reindex_products"


async def change_status(
    session: AsyncSession,
    *,
    operator: User,
    cooperative_id: int,
    action: StatusAction,
    reason: str | None = None,
) -> CooperativeOut:
    """Verify, reject, suspend or reinstate a supplier, with an audit entry in the same
    transaction. Reject and suspend need a reason (InvalidFields, 422); an action its status
    does not allow is InvalidStatusTransition (409)."""
    note = check_reason(reason, required=action in REASON_REQUIRED)
    cooperative = await load_cooperative(session, cooperative_id, for_update=True)
    sources, target = TRANSITIONS[action]
    if cooperative.status not in sources:
        raise InvalidStatusTransition(action.value, cooperative.status.value)
    before = _status_snapshot(cooperative)
    cooperative.status = target
    # The reason explains a rejection or suspension; a verified supplier carries none.
    cooperative.status_reason = note if action in REASON_REQUIRED else None
    if action == StatusAction.VERIFY:
        cooperative.verified_at = utcnow()
    await session.flush()
    await audit_service.record(
        session,
        actor_user_id=operator.id,
        action=f"cooperative.{action.value}",
        entity_kind=ENTITY_KIND,
        entity_id=cooperative.id,
        before=before,
        after=_status_snapshot(cooperative),
        reason=note,
    )
    # Its products enter or leave search with it, in the same transaction.
    await enqueue(session, REINDEX_PRODUCTS_JOB, {"cooperative_id": cooperative.id})
    return cooperative_view(cooperative, with_contact=True)


async def list_for_review(
    session: AsyncSession,
    *,
    status: SupplierStatus | None = None,
    page: int = 1,
    per_page: int = 50,
) -> CooperativePage:
    """Suppliers of one status (all if None), oldest first, for operators."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationFailed(
            "Invalid page size.", fields={"per_page": f"between 1 and {MAX_PER_PAGE}"}
        )
    if not 1 <= page <= MAX_ID // MAX_PER_PAGE:
        raise ValidationFailed("Invalid page.", fields={"page": "a positive page number"})
    total = await repository.count_cooperatives(session, status=status)
    rows = await repository.list_cooperatives(
        session, status=status, offset=(page - 1) * per_page, limit=per_page
    )
    return CooperativePage(
        items=[cooperative_view(c, with_contact=True) for c in rows],
        total=total,
        page=page,
        per_page=per_page,
    )


async def review_queue(session: AsyncSession, *, status: SupplierStatus) -> ReviewQueue:
    """The operator page's queue: suppliers of `status`, oldest first, and every status' count."""
    counts = await repository.count_by_status(session)
    rows = await repository.list_cooperatives(session, status=status, limit=REVIEW_QUEUE_LIMIT)
    return ReviewQueue(
        status=status.value,
        counts={s.value: counts.get(s, 0) for s in SupplierStatus},
        items=[cooperative_view(c, with_contact=True) for c in rows],
    )


async def count_pending(session: AsyncSession, _scope: int = 0) -> int:
    """Suppliers waiting for an operator's verification (the back office's menu count)."""
    return await repository.count_cooperatives(session, status=SupplierStatus.PENDING)
