"""JSON routes of the certification domain: suppliers' certificates and scans, operator review."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile

from app.account.deps import CurrentUser, Operator
from app.certification import service
from app.certification.models import CertificateStatus
from app.certification.schemas import (
    AdminCertificatePage,
    CertificateCreate,
    CertificateOut,
    ReasonRequest,
)
from app.core.fields import MAX_ID
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.media import Media

router = APIRouter(prefix="/api/v1", tags=["certification"], responses=API_ERROR_RESPONSES)

# Path ids are bounded so that an absurd id is a 422, not a database overflow.
CooperativeId = Annotated[int, Path(ge=1, le=MAX_ID, description="Supplier id")]
CertificateId = Annotated[int, Path(ge=1, le=MAX_ID, description="Certificate id")]


@router.post(
    "/cooperatives/{cooperative_id}/certificates",
    response_model=CertificateOut,
    status_code=201,
    summary="Register a certificate of a supplier",
)
async def create_certificate(
    cooperative_id: CooperativeId,
    body: CertificateCreate,
    media: Media,
    user: CurrentUser,
    session: DbSession,
) -> CertificateOut:
    """A member of the supplier adds a certificate; it is `pending` until an operator verifies it.

    The number must have its kind's format (422 on `number`, saying which);
    409 `certificate_number_taken` when the number is already registered (a GI number: by this
    cooperative; any other kind: by anyone).
    """
    return await service.add_certificate(
        session,
        user=user,
        cooperative_id=cooperative_id,
        kind=body.kind,
        number=body.number,
        issuer=body.issuer,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        media=media,
    )


@router.get(
    "/cooperatives/{cooperative_id}/certificates",
    response_model=list[CertificateOut],
    status_code=200,
    summary="The certificates of a supplier",
)
async def list_certificates(
    cooperative_id: CooperativeId, media: Media, user: CurrentUser, session: DbSession
) -> list[CertificateOut]:
    """Every certificate of the supplier, whatever its status (members only; others 404)."""
    result = await service.supplier_certificates(
        session, user=user, cooperative_id=cooperative_id, media=media
    )
    return result.certificates


@router.post(
    "/certificates/{certificate_id}/scan",
    response_model=CertificateOut,
    status_code=200,
    summary="Upload the scan of a certificate",
)
async def upload_scan(
    certificate_id: CertificateId,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP image, or PDF; ≤ 8 MB")],
    media: Media,
    user: CurrentUser,
    session: DbSession,
) -> CertificateOut:
    """A pending or rejected certificate's scan (a rejected one goes back to `pending`).

    422 on `file` for an empty, oversized or unreadable file; 409 `certificate_locked` once
    verified or revoked.
    """
    # One byte past the limit is enough to know the file is too large.
    data = await file.read(service.MAX_SCAN_BYTES + 1)
    return await service.attach_scan(
        session, user=user, certificate_id=certificate_id, data=data, media=media
    )


@router.get(
    "/admin/certificates",
    response_model=AdminCertificatePage,
    status_code=200,
    summary="The operator's certificate queue",
)
async def list_admin_certificates(
    media: Media,
    operator: Operator,
    session: DbSession,
    status: Annotated[CertificateStatus | None, Query(description="Only this status")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)] = 50,
) -> AdminCertificatePage:
    """Pending certificates first (oldest first), then the others (newest first)."""
    return await service.certificate_queue(
        session, status=status, page=page, per_page=per_page, media=media
    )


@router.post(
    "/admin/certificates/{certificate_id}/verify",
    response_model=CertificateOut,
    status_code=200,
    summary="Verify a pending certificate",
)
async def verify_certificate(
    certificate_id: CertificateId, media: Media, operator: Operator, session: DbSession
) -> CertificateOut:
    """pending → verified (audited); anything else is 409 `invalid_status_transition`."""
    return await service.review_certificate(
        session,
        actor=operator,
        certificate_id=certificate_id,
        action="verify",
        reason=None,
        media=media,
    )


def _decision_with_reason(
    action: service.ReviewAction,
) -> Callable[..., Awaitable[CertificateOut]]:
    """The route of an operator's decision that takes a reason (rejecting, revoking)."""

    async def route(
        certificate_id: CertificateId,
        body: ReasonRequest,
        media: Media,
        operator: Operator,
        session: DbSession,
    ) -> CertificateOut:
        return await service.review_certificate(
            session,
            actor=operator,
            certificate_id=certificate_id,
            action=action,
            reason=body.reason,
            media=media,
        )

    return route


router.add_api_route(
    "/admin/certificates/{certificate_id}/reject",
    _decision_with_reason("reject"),
    methods=["POST"],
    response_model=CertificateOut,
    status_code=200,
    summary="Reject a pending certificate",
    description="pending → rejected with a reason (audited).",
    name="reject_certificate",
)
router.add_api_route(
    "/admin/certificates/{certificate_id}/revoke",
    _decision_with_reason("revoke"),
    methods=["POST"],
    response_model=CertificateOut,
    status_code=200,
    summary="Revoke a verified certificate",
    description="verified → revoked with a reason (audited): its badge disappears at once.",
    name="revoke_certificate",
)
