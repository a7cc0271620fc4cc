"""Operators reviewing certificates: verify, reject, revoke (audited), and their queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.certification import repository
from app.certification.errors import (
    REASON_LENGTH,
    CertificateNotFound,
    CertificateNumberHeld,
    InvalidStatusTransition,
)
from app.certification.models import Certificate, CertificateStatus
from app.certification.schemas import (
    AdminCertificateOut,
    AdminCertificatePage,
    CertificateConflict,
    CertificateOut,
    SupplierRef,
)
from app.certification.service.labels import today_in_china
from app.certification.service.views import certificate_out, out_fields
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.core.storage import MediaStorage
from app.jobs.service import enqueue

REASON_MAX_LENGTH = 500
MAX_PER_PAGE = 200

# ---------------------------------------------------------------------------------------------
# Operator review


@dataclass(frozen=True)
class _Transition:
    allowed_from: frozenset[CertificateStatus]
    to: CertificateStatus
    past_tense: str
    needs_reason: bool


_TRANSITIONS = {
    "verify": _Transition(
        frozenset({CertificateStatus.PENDING}), CertificateStatus.VERIFIED, "verified", False
    ),
    "reject": _Transition(
        frozenset({CertificateStatus.PENDING}), CertificateStatus.REJECTED, "rejected", True
    ),
    "revoke": _Transition(
        frozenset({CertificateStatus.VERIFIED}), CertificateStatus.REVOKED, "revoked", True
    ),
}


def status_snapshot(certificate: Certificate) -> dict[str, Any]:
    return {
        "status": certificate.status.value,
        "status_reason": certificate.status_reason,
        "verified_at": certificate.verified_at,
    }


def _clean_reason(reason: str | None, required: bool) -> str | None:
    text = " ".join((reason or "").split())
    if not text:
        if required:
            raise ValidationFailed(REASON_LENGTH, fields={"reason": REASON_LENGTH})
        return None
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationFailed(REASON_LENGTH, fields={"reason": REASON_LENGTH})
    return text


# Handled by the catalog (a higher domain), named rather than imported.
REINDEX_PRODUCTS_JOB = "catalog.reindex_products"

ReviewAction = Literal["verify", "reject", "revoke"]


async def review_certificate(
    session: AsyncSession,
    *,
    actor: User,
    certificate_id: int,
    action: ReviewAction,
    reason: str | None,
    media: MediaStorage,
    today: date | None = None,
) -> CertificateOut:
    """An operator's decision, recorded in the audit log in the same transaction.

    pending → verified | rejected; verified → revoked; anything else is 409. Rejecting and
    revoking need a reason (422 on `reason`): the supplier sees it on a rejected certificate (it
    may upload a new scan). A verified certificate's badge shows from valid_from to valid_until;
    a revoked one's disappears at once, whatever the dates say. A green-food or organic number
    has one verified holder: verifying a second is 409 `certificate_number_held` until the
    operator has revoked the first.
    """
    transition = _TRANSITIONS[action]
    clean = _clean_reason(reason, transition.needs_reason)
    certificate = await repository.get_certificate(session, certificate_id, for_update=True)
    if certificate is None:
        raise CertificateNotFound(certificate_id)
    if certificate.status not in transition.allowed_from:
        raise InvalidStatusTransition(certificate.status.value, transition.past_tense)
    if transition.to == CertificateStatus.VERIFIED:
        holder = await repository.other_holder(session, certificate, CertificateStatus.VERIFIED)
        if holder is not None:
            raise CertificateNumberHeld(holder.id)
    before = status_snapshot(certificate)
    try:
        # A savepoint: an operator verifying the other claim at the same moment meets the
        # unique index, and the transaction stays usable for the 409.
        async with session.begin_nested():
            certificate.status = transition.to
            certificate.status_reason = clean
            if transition.to == CertificateStatus.VERIFIED:
                certificate.verified_at = utcnow()
            await session.flush()
    except IntegrityError as exc:
        await session.refresh(certificate)
        holder = await repository.other_holder(session, certificate, CertificateStatus.VERIFIED)
        raise CertificateNumberHeld(holder.id if holder else None) from exc
    await audit.record(
        session,
        actor_user_id=actor.id,
        action=f"certificate.{action}",
        entity_kind="certificate",
        entity_id=certificate.id,
        before=before,
        after=status_snapshot(certificate),
        reason=clean,
    )
    # The supplier's products gain or lose this label in search, in the same transaction.
    await enqueue(session, REINDEX_PRODUCTS_JOB, {"cooperative_id": certificate.cooperative_id})
    return certificate_out(certificate, media, today or today_in_china())


async def certificate_queue(
    session: AsyncSession,
    *,
    status: CertificateStatus | None,
    page: int,
    per_page: int,
    media: MediaStorage,
    today: date | None = None,
) -> AdminCertificatePage:
    """The operator's queue, pending first; `status` narrows it to one status."""
    on = today or today_in_china()
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    total = await repository.count_queue(session, status)
    rows = await repository.list_queue(
        session, status, offset=(page - 1) * per_page, limit=per_page
    )
    rivals = await repository.rival_claims(session, [certificate for certificate, _, _ in rows])
    items = [
        AdminCertificateOut(
            **out_fields(certificate, media, on),
            cooperative=SupplierRef(id=supplier_id, name=supplier_name),
            conflicts=[
                CertificateConflict(
                    id=rival.id,
                    status=rival.status.value,
                    cooperative=SupplierRef(id=rival_supplier_id, name=rival_supplier_name),
                )
                for rival, rival_supplier_id, rival_supplier_name in rivals
                if (rival.kind, rival.number) == (certificate.kind, certificate.number)
                and rival.cooperative_id != certificate.cooperative_id
            ],
        )
        for certificate, supplier_id, supplier_name in rows
    ]
    return AdminCertificatePage(items=items, total=total, page=page, per_page=per_page)


async def count_pending(session: AsyncSession, _scope: int = 0) -> int:
    """Certificates waiting for an operator's review (the back office's menu count)."""
    return await repository.count_queue(session, CertificateStatus.PENDING)
