"""Request and response bodies of the certification API, and the strict date format they use."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

# The values of models.CertificateKind and CertificateStatus (schemas sit below models).
KindName = Literal["gi", "green_food", "organic"]
StatusName = Literal["pending", "verified", "rejected", "revoked"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso_date(text: str) -> date | None:
    """A calendar date written exactly YYYY-MM-DD, else None (no timestamps, no week dates)."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2024-02-30, month 13
        return None


def _iso_date_only(value: object) -> object:
    # Pydantic's lax date parsing would take Unix timestamps and datetimes; a validity date
    # is a calendar date and nothing else.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and parse_iso_date(value) is not None:
        return value
    raise ValueError("Enter a date as YYYY-MM-DD.")


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


class CertificateCreate(BaseModel):
    """A certificate a supplier holds; the number is checked against the kind's format."""

    kind: KindName = Field(description="gi, green_food or organic")
    number: str = Field(examples=["AGI00122"], description="Normalised: trimmed, upper case")
    issuer: str = Field(examples=["中华人民共和国农业农村部"], description="2–100 characters")
    valid_from: IsoDate = Field(examples=["2024-01-01"])
    valid_until: IsoDate = Field(examples=["2027-12-31"], description="After valid_from")


class ReasonRequest(BaseModel):
    """Why an operator rejects or revokes a certificate (shown to the supplier)."""

    reason: str = Field(examples=["扫描件与证书编号不符"], description="1–500 characters")


class CertificateOut(BaseModel):
    """A certificate; `badge_valid`: verified and within its validity today (China time)."""

    id: int
    cooperative_id: int
    kind: KindName
    number: str
    issuer: str
    valid_from: date
    valid_until: date
    status: StatusName
    status_reason: str | None = Field(description="Why it was rejected or revoked")
    scan_url: str | None = Field(description="The uploaded scan (JPEG or PDF), if any")
    scan_is_pdf: bool
    badge_valid: bool
    verified_at: datetime | None
    created_at: datetime


class SupplierRef(BaseModel):
    id: int
    name: str


class CertificateConflict(BaseModel):
    """Another supplier's pending claim or verified certificate of the same number."""

    id: int
    status: StatusName
    cooperative: SupplierRef


class AdminCertificateOut(CertificateOut):
    """A certificate in the operator's queue, with its supplier and, for a green-food or
    organic number, the other suppliers' pending or verified certificates of that number."""

    cooperative: SupplierRef
    conflicts: list[CertificateConflict] = Field(
        description="Other suppliers' pending or verified certificates of the same number "
        "(a GI number is shared by the producers of its region and never listed)"
    )


class AdminCertificatePage(BaseModel):
    """The operator's queue: pending certificates first (oldest first), then the newest."""

    items: list[AdminCertificateOut]
    total: int
    page: int
    per_page: int
