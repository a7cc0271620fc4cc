"""Plain typed factories for certificates: certificates in any status and dates, files to upload,
and reading back what the certification domain wrote."""

from __future__ import annotations

import io
import itertools
from datetime import date, timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.certification.models import Certificate, CertificateKind, CertificateStatus
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work

_serial = itertools.count(1)


def today() -> date:
    return china_date(utcnow())


async def create_certificate(
    database: Database,
    cooperative_id: int,
    *,
    kind: CertificateKind = CertificateKind.GI,
    number: str | None = None,
    issuer: str = "中华人民共和国农业农村部",
    valid_from: date | None = None,
    valid_until: date | None = None,
    status: CertificateStatus = CertificateStatus.PENDING,
    scan_key: str | None = None,
) -> int:
    """A committed certificate straight in the table (any status, any dates)."""
    serial = next(_serial)
    if number is None:
        number = {
            CertificateKind.GI: f"AGI{serial:05d}",
            CertificateKind.GREEN_FOOD: f"LB-15-180604{serial:04d}A",
            CertificateKind.ORGANIC: f"001OP21{serial:05d}",
        }[kind]
    start = valid_from or today() - timedelta(days=30)
    async with unit_of_work(database.writer) as session:
        certificate = Certificate(
            cooperative_id=cooperative_id,
            kind=kind,
            number=number,
            issuer=issuer,
            valid_from=start,
            valid_until=valid_until or start + timedelta(days=3 * 365),
            status=status,
            verified_at=utcnow() if status == CertificateStatus.VERIFIED else None,
            scan_key=scan_key,
        )
        session.add(certificate)
        await session.flush()
        return certificate.id


async def load_certificate(database: Database, certificate_id: int) -> Certificate:
    async with unit_of_work(database.reader) as session:
        certificate = await session.get(Certificate, certificate_id)
        assert certificate is not None
        return certificate


async def certificate_count(database: Database) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count()).select_from(Certificate)) or 0)


async def audit_entries(database: Database, certificate_id: int) -> list[AuditEntry]:
    async with unit_of_work(database.reader) as session:
        result = await session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.entity_kind == "certificate",
                AuditEntry.entity_id == str(certificate_id),
            )
            .order_by(AuditEntry.id)
        )
        return list(result)


def image_bytes(width: int = 400, height: int = 300, fmt: str = "PNG") -> bytes:
    """A real image of the given size and format."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, format=fmt)
    return out.getvalue()


def pdf_bytes(pages_text: str = "AGI00122") -> bytes:
    """A tiny but well-formed PDF."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"% " + pages_text.encode() + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def stored_files(media_dir: Path) -> list[Path]:
    """Every file under the media folder (none means nothing was stored)."""
    if not media_dir.exists():
        return []
    return sorted(p for p in media_dir.rglob("*") if p.is_file())
