"""Plain typed factories for certificates: suppliers, their members, operators, files to upload."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select

from app.account import service as accounts
from app.account.models import Role, User
from app.audit.models import AuditEntry
from app.certification.models import Certificate, CertificateKind, CertificateStatus
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.web.security import TokenSigner
from tests.account.factories import bearer, create_user

COUNTY_CODE = "522732"  # 三都水族自治县, a poverty-lifted county in the reference data
_serial = itertools.count(1)


def today() -> date:
    return china_date(utcnow())


async def create_cooperative(
    database: Database,
    *,
    name: str = "三都水族自治县丰收种植专业合作社",
    status: SupplierStatus = SupplierStatus.VERIFIED,
) -> int:
    """A committed supplier; returns its id."""
    serial = next(_serial)
    async with unit_of_work(database.writer) as session:
        cooperative = Cooperative(
            name=name,
            kind=SupplierKind.COOPERATIVE,
            credit_code=f"93522732MA{serial:07d}X",
            county_code=COUNTY_CODE,
            contact_name="王芳",
            contact_phone="13800000000",
            households_supported=12,
            status=status,
        )
        session.add(cooperative)
        await session.flush()
        return cooperative.id


async def grant(database: Database, user_id: int, role: Role, scope_id: int | None = None) -> None:
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, user_id)
        assert user is not None
        await accounts.grant_role(session, user, role, scope_id=scope_id)


async def create_api_user(
    database: Database, *, email: str, display_name: str = "测试用户", roles: Iterable[Role] = ()
) -> int:
    """A user for API tests: no usable password (hashing one costs ~0.1 s), so only tokens."""
    async with unit_of_work(database.writer) as session:
        user = User(email=email, password_hash="!", display_name=display_name)
        session.add(user)
        await session.flush()
        for role in roles:
            await accounts.grant_role(session, user, role)
        return user.id


async def create_supplier_member(
    database: Database,
    cooperative_id: int,
    *,
    email: str = "coop@example.com",
    role: Role = Role.SUPPLIER_ADMIN,
    with_password: bool = True,
) -> int:
    """A user who acts for the cooperative; returns the user id."""
    if with_password:
        user_id = await create_user(database, email=email, display_name="合作社管理员", roles=())
    else:
        user_id = await create_api_user(database, email=email, display_name="合作社管理员")
    await grant(database, user_id, role, scope_id=cooperative_id)
    return user_id


async def create_operator(
    database: Database, *, email: str = "operator@example.com", with_password: bool = True
) -> int:
    if not with_password:
        return await create_api_user(database, email=email, roles=(Role.OPERATOR,))
    return await create_user(database, email=email, display_name="平台运营", roles=(Role.OPERATOR,))


def token_headers(app: FastAPI, user_id: int) -> dict[str, str]:
    """Bearer headers for a user, signed as POST /auth/token would sign them."""
    signer: TokenSigner = app.state.token_signer
    return bearer(signer.issue(user_id))


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


async def supplier_headers(
    app: FastAPI,
    database: Database,
    *,
    email: str = "coop@example.com",
    role: Role = Role.SUPPLIER_ADMIN,
    name: str = "三都水族自治县丰收种植专业合作社",
) -> tuple[int, dict[str, str]]:
    """A new supplier and the bearer headers of one of its members."""
    cooperative_id = await create_cooperative(database, name=name)
    user_id = await create_supplier_member(
        database, cooperative_id, email=email, role=role, with_password=False
    )
    return cooperative_id, token_headers(app, user_id)


async def operator_headers(
    app: FastAPI, database: Database, *, email: str = "operator@example.com"
) -> dict[str, str]:
    user_id = await create_operator(database, email=email, with_password=False)
    return token_headers(app, user_id)
