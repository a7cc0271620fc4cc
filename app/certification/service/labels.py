"""The label rule: which certificates back their label on a day; the ones the catalog names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.certification import repository
from app.certification.errors import UnknownCertificates
from app.certification.models import Certificate, CertificateStatus
from app.core.clock import china_date, utcnow

# ---------------------------------------------------------------------------------------------
# The label rule (the catalog's one source of truth, with repository.valid_certificate_clause)


def today_in_china() -> date:
    """The calendar date in China Standard Time: the day validity dates are compared with."""
    return china_date(utcnow())


def badge_is_valid(certificate: Certificate, on: date) -> bool:
    """The certificate backs its label on `on`: verified and valid_from <= on <= valid_until.

    Decided when read, so an expired certificate stops counting without anything written.
    """
    return (
        certificate.status == CertificateStatus.VERIFIED
        and certificate.valid_from <= on <= certificate.valid_until
    )


async def certificates_for_cooperative(
    session: AsyncSession, cooperative_id: int
) -> list[Certificate]:
    """Every certificate of a supplier, whatever its status, oldest first."""
    return await repository.list_for_cooperative(session, cooperative_id)


async def get_owned_certificates(
    session: AsyncSession, *, cooperative_id: int, certificate_ids: Iterable[int]
) -> list[Certificate]:
    """The named certificates, each once, if all belong to the supplier; else 422.

    Unknown ids and other suppliers' ids get the same answer: existence is not revealed.
    """
    wanted = set(certificate_ids)
    found = await repository.list_owned(session, cooperative_id, wanted)
    missing = wanted - {certificate.id for certificate in found}
    if missing:
        raise UnknownCertificates(missing)
    return found
