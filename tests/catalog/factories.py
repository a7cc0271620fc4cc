"""Typed factories for catalog tests: suppliers with members, certificates, products, images."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import func, select

from app.account import service as account_service
from app.account.models import Role, User
from app.catalog.indexing import rebuild_index
from app.catalog.models import PriceTier, Product, ProductCertificate, ProductPhoto, Sku
from app.certification.models import Certificate, CertificateKind, CertificateStatus
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus
from app.core.db import Database, unit_of_work
from app.web.security import TokenSigner
from search.embedded.backend import EmbeddedBackend
from tests.account.factories import bearer, create_user
from tests.conftest import TEST_SECRET

KEY_COUNTY = "450225"  # 融水苗族自治县, Guangxi: poverty-lifted and key assistance
KEY_COUNTY_2 = "513431"  # 昭觉县, Sichuan: poverty-lifted and key assistance
PLAIN_COUNTY = "360724"  # 上犹县, Jiangxi: poverty-lifted, not key assistance

_numbers = itertools.count(1)


@dataclass(frozen=True)
class Supplier:
    """A supplier with one admin member and that member's bearer headers."""

    id: int
    user_id: int
    email: str
    headers: dict[str, str]


async def create_cooperative(
    database: Database,
    *,
    name: str = "融水苗家合作社",
    county_code: str = KEY_COUNTY,
    status: SupplierStatus = SupplierStatus.VERIFIED,
    households_supported: int = 120,
) -> int:
    n = next(_numbers)
    async with unit_of_work(database.writer) as session:
        cooperative = Cooperative(
            name=name,
            kind=SupplierKind.COOPERATIVE,
            credit_code=f"93{n:016d}",
            county_code=county_code,
            contact_name="李四",
            contact_phone="13800000000",
            households_supported=households_supported,
            status=status,
        )
        session.add(cooperative)
        await session.flush()
        return cooperative.id


async def add_member(
    database: Database,
    cooperative_id: int,
    *,
    email: str,
    role: Role = Role.SUPPLIER_ADMIN,
    can_sign_in: bool = False,
) -> int:
    """A member of the supplier. Without `can_sign_in` the user gets no real password hash:
    hashing costs about a second on a busy machine, and API tests sign tokens directly."""
    if can_sign_in:
        user_id = await create_user(database, email=email, display_name="合作社成员", roles=())
    else:
        async with unit_of_work(database.writer) as session:
            user = User(email=email, password_hash="!", display_name="合作社成员")
            session.add(user)
            await session.flush()
            user_id = user.id
    async with unit_of_work(database.writer) as session:
        member = await account_service.get_user(session, user_id)
        assert member is not None
        await account_service.grant_role(session, member, role, scope_id=cooperative_id)
    return user_id


def token_for(user_id: int) -> str:
    """A bearer token as the app under test issues them (same secret)."""
    return TokenSigner(TEST_SECRET, 3600).issue(user_id)


async def create_supplier(
    database: Database,
    *,
    name: str = "融水苗家合作社",
    county_code: str = KEY_COUNTY,
    status: SupplierStatus = SupplierStatus.VERIFIED,
    email: str | None = None,
    can_sign_in: bool = False,
) -> Supplier:
    cooperative_id = await create_cooperative(
        database, name=name, county_code=county_code, status=status
    )
    email = email or f"coop{cooperative_id}-{next(_numbers)}@example.com"
    user_id = await add_member(database, cooperative_id, email=email, can_sign_in=can_sign_in)
    return Supplier(cooperative_id, user_id, email, bearer(token_for(user_id)))


async def set_cooperative_status(
    database: Database, cooperative_id: int, status: SupplierStatus
) -> None:
    async with unit_of_work(database.writer) as session:
        cooperative = await session.get(Cooperative, cooperative_id)
        assert cooperative is not None
        cooperative.status = status
    # The operator's own path enqueues a reindex; this shortcut rebuilds the index instead.
    await sync_search_index(database)


async def create_certificate(
    database: Database,
    cooperative_id: int,
    *,
    kind: CertificateKind = CertificateKind.GI,
    status: CertificateStatus = CertificateStatus.VERIFIED,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> int:
    n = next(_numbers)
    numbers = {
        CertificateKind.GI: f"AGI{n:05d}",
        CertificateKind.GREEN_FOOD: f"LB-15-{n:010d}A",
        CertificateKind.ORGANIC: f"124OP26{n:05d}",
    }
    today = date.today()
    async with unit_of_work(database.writer) as session:
        certificate = Certificate(
            cooperative_id=cooperative_id,
            kind=kind,
            number=numbers[kind],
            issuer="农业农村部",
            valid_from=valid_from or today - timedelta(days=365),
            valid_until=valid_until or today + timedelta(days=365),
            status=status,
        )
        session.add(certificate)
        await session.flush()
        return certificate.id


async def update_certificate(database: Database, certificate_id: int, **values: Any) -> None:
    async with unit_of_work(database.writer) as session:
        certificate = await session.get(Certificate, certificate_id)
        assert certificate is not None
        for name, value in values.items():
            setattr(certificate, name, value)
    await sync_search_index(database)


def sku(code: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid SKU body."""
    body: dict[str, Any] = {
        "code": code or f"SKU-{next(_numbers)}",
        "name": "5kg 礼盒",
        "price_fen": 3980,
        "stock": 100,
        "weight_grams": 5000,
        "min_qty": 1,
        "price_tiers": [],
    }
    body.update(overrides)
    return body


def product_body(**overrides: Any) -> dict[str, Any]:
    """A valid product body with one SKU."""
    body: dict[str, Any] = {
        "title": "融水香糯",
        "description": "<p>高山梯田里种出的<strong>香糯</strong>。</p>",
        "category": "grain_oil",
        "unit": "5kg/袋",
        "certificate_ids": [],
        "status": "active",
        "skus": [sku()],
        "season_months": [10, 11],
    }
    body.update(overrides)
    return body


async def create_product(
    client: httpx.AsyncClient, supplier: Supplier, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/cooperatives/{supplier.id}/products",
        json=product_body(**overrides),
        headers=supplier.headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@dataclass(frozen=True)
class CatalogCounts:
    products: int
    skus: int
    tiers: int
    photos: int
    links: int


async def catalog_counts(database: Database) -> CatalogCounts:
    """Row counts of every catalog table a product write touches."""
    async with unit_of_work(database.reader) as session:
        values = []
        for model in (Product, Sku, PriceTier, ProductPhoto, ProductCertificate):
            values.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
    return CatalogCounts(*values)


def png_bytes(width: int = 800, height: int = 600, color: str = "#6a9f4b") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


async def sync_search_index(database: Database) -> None:
    """Rebuild the embedded search index from the tables: arranged data bypasses the outbox."""
    await rebuild_index(database.writer, EmbeddedBackend(database.writer, reader=database.reader))
