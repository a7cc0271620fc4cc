"""Suppliers submitting certificates: the details checked, the scan stored (and resubmitted)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.certification import repository
from app.certification.errors import (
    ALREADY_EXPIRED,
    BAD_DATE,
    DATE_OUT_OF_RANGE,
    ISSUER_LENGTH,
    UNKNOWN_KIND,
    UNTIL_NOT_AFTER_FROM,
    CertificateInvalid,
    CertificateNotFound,
    CertificateNumberTaken,
    ScanLocked,
    ScanRefused,
)
from app.certification.models import Certificate, CertificateKind, CertificateStatus
from app.certification.numbers import checked_number
from app.certification.schemas import CertificateOut, parse_iso_date
from app.certification.service.labels import today_in_china
from app.certification.service.review import status_snapshot
from app.certification.service.views import certificate_out
from app.cooperative import service as cooperatives
from app.cooperative.errors import CooperativeNotFound
from app.core.errors import ValidationFailed
from app.core.images import MAX_UPLOAD_BYTES, process_image
from app.core.storage import MediaStorage
from app.jobs.media import discard_after_commit

ISSUER_MIN_LENGTH = 2
ISSUER_MAX_LENGTH = 100
EARLIEST_DATE = date(1990, 1, 1)  # the green food programme began in 1990
LATEST_DATE = date(2100, 12, 31)
MAX_SCAN_BYTES = MAX_UPLOAD_BYTES  # 8 MB, for images and PDFs alike
PDF_MAGIC = b"%PDF-"
SCAN_FIELD = "file"

# ---------------------------------------------------------------------------------------------
# Adding a certificate


@dataclass(frozen=True)
class _CheckedInput:
    kind: CertificateKind
    number: str
    issuer: str
    valid_from: date
    valid_until: date


def _kind(value: CertificateKind | str) -> CertificateKind | None:
    try:
        return CertificateKind(value)
    except ValueError:
        return None


def _date(value: date | str) -> tuple[date | None, str | None]:
    parsed = value if isinstance(value, date) else parse_iso_date(value.strip())
    if parsed is None:
        return None, BAD_DATE
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        return None, DATE_OUT_OF_RANGE
    return parsed, None


def _check_input(
    *,
    kind: CertificateKind | str,
    number: str,
    issuer: str,
    valid_from: date | str,
    valid_until: date | str,
    today: date,
) -> _CheckedInput:
    """Every field checked at once, so that a form shows all its problems together."""
    fields: dict[str, str] = {}
    checked_kind = _kind(kind)
    normalized = ""
    if checked_kind is None:
        fields["kind"] = UNKNOWN_KIND  # the number's format depends on it: checked next time
    else:
        normalized, problem = checked_number(checked_kind, number)
        if problem:
            fields["number"] = problem
    clean_issuer = " ".join(issuer.split())
    if not ISSUER_MIN_LENGTH <= len(clean_issuer) <= ISSUER_MAX_LENGTH:
        fields["issuer"] = ISSUER_LENGTH
    start, start_problem = _date(valid_from)
    end, end_problem = _date(valid_until)
    if start_problem:
        fields["valid_from"] = start_problem
    if end_problem:
        fields["valid_until"] = end_problem
    elif end is not None and start is not None and end <= start:
        fields["valid_until"] = UNTIL_NOT_AFTER_FROM
    elif end is not None and end < today:
        fields["valid_until"] = ALREADY_EXPIRED
    if fields or checked_kind is None or start is None or end is None:
        raise CertificateInvalid(fields)
    return _CheckedInput(checked_kind, normalized, clean_issuer, start, end)


async def add_certificate(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    kind: CertificateKind | str,
    number: str,
    issuer: str,
    valid_from: date | str,
    valid_until: date | str,
    media: MediaStorage,
    today: date | None = None,
) -> CertificateOut:
    """A member of the cooperative registers a certificate; it waits, pending, for an operator.

    422 with field errors, 409 `certificate_number_taken`, 404 for a non-member.
    """
    cooperative = await cooperatives.get_member_cooperative(
        session, user=user, cooperative_id=cooperative_id
    )
    on = today or today_in_china()
    checked = _check_input(
        kind=kind,
        number=number,
        issuer=issuer,
        valid_from=valid_from,
        valid_until=valid_until,
        today=on,
    )
    taken = await repository.find_conflicting(session, checked.kind, checked.number, cooperative.id)
    if taken is not None:
        raise CertificateNumberTaken(checked.kind.value, checked.number)
    certificate = Certificate(
        cooperative_id=cooperative.id,
        kind=checked.kind,
        number=checked.number,
        issuer=checked.issuer,
        valid_from=checked.valid_from,
        valid_until=checked.valid_until,
        status=CertificateStatus.PENDING,
    )
    try:
        # A savepoint: losing a race for the number leaves the transaction usable.
        async with session.begin_nested():
            session.add(certificate)
            await session.flush()
    except IntegrityError as exc:
        raise CertificateNumberTaken(checked.kind.value, checked.number) from exc
    return certificate_out(certificate, media, on)


# ---------------------------------------------------------------------------------------------
# Scans


def _scan_problem(code: str, message: str) -> ScanRefused:
    return ScanRefused(message, code=code, fields={SCAN_FIELD: message})


def _scan_file(data: bytes) -> tuple[bytes, str]:
    """(bytes to store, file extension): a PDF as sent, an image re-encoded as JPEG."""
    if not data:
        raise _scan_problem("empty_file", "The file is empty.")
    if len(data) > MAX_SCAN_BYTES:
        raise _scan_problem(
            "too_large", f"The file is larger than {MAX_SCAN_BYTES // (1024 * 1024)} MB."
        )
    if data.startswith(PDF_MAGIC):
        return data, "pdf"
    try:
        processed = process_image(data, field=SCAN_FIELD)
    except ValidationFailed as exc:
        if exc.code == "unsupported_type":
            raise _scan_problem(
                "unsupported_type", "Upload a JPEG, PNG or WebP image or a PDF file."
            ) from exc
        raise _scan_problem(exc.code, exc.message) from exc
    # Re-encoded: no EXIF (location, device) and no payload hidden behind the image survives.
    return processed.image, "jpg"


async def _member_certificate(
    session: AsyncSession, *, user: User, certificate_id: int, cooperative_id: int | None
) -> Certificate:
    """A certificate of a cooperative `user` is a member of, locked; anyone else gets 404."""
    certificate = await repository.get_certificate(session, certificate_id, for_update=True)
    if certificate is None or (
        cooperative_id is not None and certificate.cooperative_id != cooperative_id
    ):
        raise CertificateNotFound(certificate_id)
    try:
        await cooperatives.get_member_cooperative(
            session, user=user, cooperative_id=certificate.cooperative_id
        )
    except CooperativeNotFound as exc:
        raise CertificateNotFound(certificate_id) from exc
    return certificate


async def attach_scan(
    session: AsyncSession,
    *,
    user: User,
    certificate_id: int,
    data: bytes,
    media: MediaStorage,
    cooperative_id: int | None = None,
    today: date | None = None,
) -> CertificateOut:
    """Store the scan of a pending or rejected certificate (a rejected one is resubmitted).

    Nothing is stored unless the file is a usable image or PDF of at most 8 MB.
    """
    certificate = await _member_certificate(
        session, user=user, certificate_id=certificate_id, cooperative_id=cooperative_id
    )
    if certificate.status not in (CertificateStatus.PENDING, CertificateStatus.REJECTED):
        raise ScanLocked(certificate.status.value)
    content, extension = _scan_file(data)
    key = f"certificates/{certificate.id}/{uuid.uuid4().hex}.{extension}"
    await media.save(key, content)
    if certificate.scan_key is not None:
        # The previous scan goes once this commits: before, it could be the only copy.
        await discard_after_commit(session, [certificate.scan_key])
    certificate.scan_key = key
    if certificate.status == CertificateStatus.REJECTED:
        before = status_snapshot(certificate)
        certificate.status = CertificateStatus.PENDING
        certificate.status_reason = None
        await audit.record(
            session,
            actor_user_id=user.id,
            action="certificate.resubmit",
            entity_kind="certificate",
            entity_id=certificate.id,
            before=before,
            after=status_snapshot(certificate),
        )
    await session.flush()
    return certificate_out(certificate, media, today or today_in_china())
