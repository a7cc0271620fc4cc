"""JSON routes of the certification domain: suppliers' certificates and scans, operator review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile

from app.account.deps import CurrentUser, require_role
from app.account.models import Role, User
from app.certification import service
from app.certification.models import CertificateStatus
from app.certification.schemas import (
    AdminCertificatePage,
    CertificateCreate,
    CertificateOut,
    ReasonRequest,
)
from app.core.storage import MediaStorage
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["certification"], responses=API_ERROR_RESPONSES)

Operator = Annotated[User, Depends(require_role(Role.OPERATOR))]
# Path ids are bounded so that an absurd id is a 422, not a database overflow.
CooperativeId = Annotated[int, Path(ge=1, le=2**62, description="Supplier id")]
CertificateId = Annotated[int, Path(ge=1, le=2**62, description="Certificate id")]


def _media(request: Request) -> MediaStorage:
    media: MediaStorage = request.app.state.media
    return media


@router.post(
    "/cooperatives/{cooperative_id}/certificates",
    response_model=CertificateOut,
    status_code=201,
    summary="Register a certificate of a supplier",
)
async def create_certificate(
    cooperative_id: CooperativeId,
    body: CertificateCreate,
    request: Request,
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
        media=_media(request),
    )


@router.get(
    "/cooperatives/{cooperative_id}/certificates",
    response_model=list[CertificateOut],
    status_code=200,
    summary="The certificates of a supplier",
)
async def list_certificates(
    cooperative_id: CooperativeId, request: Request, user: CurrentUser, session: DbSession
) -> list[CertificateOut]:
    """Every certificate of the supplier, whatever its status (members only; others 404)."""
    result = await service.supplier_certificates(
        session, user=user, cooperative_id=cooperative_id, media=_media(request)
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
    request: Request,
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
        session, user=user, certificate_id=certificate_id, data=data, media=_media(request)
    )


@router.get(
    "/admin/certificates",
    response_model=AdminCertificatePage,
    status_code=200,
    summary="The operator's certificate queue",
)
async def list_admin_certificates(
    request: Request,
    operator: Operator,
    session: DbSession,
    status: Annotated[CertificateStatus | None, Query(description="Only this status")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)] = 50,
) -> AdminCertificatePage:
    """Pending certificates first (oldest first), then the others (newest first)."""
    return await service.certificate_queue(
        session, status=status, page=page, per_page=per_page, media=_media(request)
    )


@router.post(
    "/admin/certificates/{certificate_id}/verify",
    response_model=CertificateOut,
    status_code=200,
    summary="Verify a pending certificate",
)
async def verify_certificate(
    certificate_id: CertificateId, request: Request, operator: Operator, session: DbSession
) -> CertificateOut:
    """pending → verified (audited); anything else is 409 `invalid_status_transition`."""
    return await service.verify_certificate(
        session, actor=operator, certificate_id=certificate_id, media=_media(request)
    )


@router.post(
    "/admin/certificates/{certificate_id}/reject",
    response_model=CertificateOut,
    status_code=200,
    summary="Reject a pending certificate",
)
async def reject_certificate(
    certificate_id: CertificateId,
    body: ReasonRequest,
    request: Request,
    operator: Operator,
    session: DbSession,
) -> CertificateOut:
    """pending → rejected with a reason (audited)."""
    return await service.reject_certificate(
        session,
        actor=operator,
        certificate_id=certificate_id,
        reason=body.reason,
        media=_media(request),
    )


@router.post(
    "/admin/certificates/{certificate_id}/revoke",
    response_model=CertificateOut,
    status_code=200,
    summary="Revoke a verified certificate",
)
async def revoke_certificate(
    certificate_id: CertificateId,
    body: ReasonRequest,
    request: Request,
    operator: Operator,
    session: DbSession,
) -> CertificateOut:
    """verified → revoked with a reason (audited): its badge disappears at once."""
    return await service.revoke_certificate(
        session,
        actor=operator,
        certificate_id=certificate_id,
        reason=body.reason,
        media=_media(request),
    )
