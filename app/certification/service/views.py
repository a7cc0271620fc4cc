"""Certificates as their supplier and the API see them, with whether the badge shows today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.certification import repository
from app.certification.models import Certificate
from app.certification.schemas import CertificateOut
from app.certification.service.labels import badge_is_valid, today_in_china
from app.cooperative import service as cooperatives
from app.core.storage import MediaStorage


def certificate_out(certificate: Certificate, media: MediaStorage, on: date) -> CertificateOut:
    return CertificateOut(**out_fields(certificate, media, on))


def out_fields(certificate: Certificate, media: MediaStorage, on: date) -> dict[str, Any]:
    key = certificate.scan_key
    return {
        "id": certificate.id,
        "cooperative_id": certificate.cooperative_id,
        "kind": certificate.kind.value,
        "number": certificate.number,
        "issuer": certificate.issuer,
        "valid_from": certificate.valid_from,
        "valid_until": certificate.valid_until,
        "status": certificate.status.value,
        "status_reason": certificate.status_reason,
        "scan_url": media.url(key) if key else None,
        "scan_is_pdf": bool(key and key.endswith(".pdf")),
        "badge_valid": badge_is_valid(certificate, on),
        "verified_at": certificate.verified_at,
        "created_at": certificate.created_at,
    }


@dataclass(frozen=True)
class SupplierCertificates:
    """A supplier's certificates, for its portal page and the API."""

    cooperative_id: int
    cooperative_name: str
    certificates: list[CertificateOut]


async def supplier_certificates(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    media: MediaStorage,
    today: date | None = None,
) -> SupplierCertificates:
    """The certificates of a cooperative `user` is a member of; anyone else gets 404."""
    cooperative = await cooperatives.get_member_cooperative(
        session, user=user, cooperative_id=cooperative_id
    )
    on = today or today_in_china()
    certificates = await repository.list_for_cooperative(session, cooperative.id)
    return SupplierCertificates(
        cooperative_id=cooperative.id,
        cooperative_name=cooperative.name,
        certificates=[certificate_out(c, media, on) for c in certificates],
    )
