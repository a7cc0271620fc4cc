"""The demo catalog: enough real-looking data, valid identifiers, deterministic and idempotent."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from datetime import date
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from typer.testing import CliRunner

from app import cli as cli_module
from app.account.models import Role, RoleAssignment, User
from app.catalog.models import Brand, PriceTier, Product, ProductPhoto, ProductStatus, Sku
from app.certification.models import Certificate, CertificateStatus
from app.certification.numbers import number_problem
from app.config import Settings
from app.cooperative.models import Cooperative, SupplierStatus
from app.core.db import Database, unit_of_work
from app.core.identifiers import normalize_mobile, parse_credit_code
from app.core.storage import LocalMediaStorage
from app.demo import SUPPLIER_LOGIN, DemoSeedError, seed_demo_catalog
from app.demo.plan import build_plan, read_specialties
from app.regions.models import County
from tests.account.factories import bearer, issue_token

pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 28)
ALL_TABLES = (Cooperative, Certificate, Product, Sku, PriceTier, ProductPhoto, User)


def _media(settings: Settings) -> LocalMediaStorage:
    return LocalMediaStorage(settings.media_dir)


async def _row_counts(database: Database) -> dict[str, int]:
    async with unit_of_work(database.reader) as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in ALL_TABLES
        }


async def _snapshot(database: Database) -> dict[str, Any]:
    """What a shopper or supplier would notice: products, prices, stock, codes, statuses."""
    async with unit_of_work(database.reader) as session:
        products = await session.scalars(
            select(Product).options(
                selectinload(Product.skus).selectinload(Sku.price_tiers),
                selectinload(Product.certificates),
                selectinload(Product.cooperative),
            )
        )
        return {
            p.slug: (
                p.title,
                p.category_code,
                p.unit,
                p.status.value,
                p.min_price_fen,
                p.in_stock,
                p.season_months,
                p.cooperative.credit_code,
                p.cooperative.status.value,
                tuple(
                    (
                        s.code,
                        s.name,
                        s.price_fen,
                        s.stock,
                        s.min_qty,
                        s.weight_grams,
                        *((t.min_qty, t.price_fen) for t in s.price_tiers),
                    )
                    for s in p.skus
                ),
                tuple(sorted((c.kind.value, c.number, c.status.value) for c in p.certificates)),
            )
            for p in products
        }


def test_the_plan_is_deterministic_and_a_small_demo_is_a_prefix_of_a_large_one() -> None:
    first = build_plan(320, TODAY)
    again = build_plan(320, TODAY)
    small = build_plan(40, TODAY)

    assert first == again
    # Only certificates' end of validity follows the day of seeding; every code stays the same.
    later = build_plan(320, date(2027, 6, 30))
    assert [(p.slug, p.skus) for p in later.products] == [(p.slug, p.skus) for p in first.products]
    assert [(c.kind, c.number, c.valid_from) for _, c in later.certificates] == [
        (c.kind, c.number, c.valid_from) for _, c in first.certificates
    ]
    assert later.suppliers == first.suppliers
    assert small.products == first.products[:40]
    assert {s.credit_code for s in small.suppliers} <= {s.credit_code for s in first.suppliers}
    # Other N, other products: the count is what the caller asked for.
    assert len(first.products) == 320
    assert len(small.products) == 40


def test_products_are_named_after_the_specialties_of_their_counties() -> None:
    specialties = {(s.product_name, s.county_code) for s in read_specialties()}
    assert len(specialties) == 304
    plan = build_plan(304, TODAY)
    suppliers = {s.credit_code: s for s in plan.suppliers}

    for product in plan.products:
        county = suppliers[product.supplier_credit_code].county_code
        assert (product.title, county) in specialties
    # A small demo already spans many provinces: the list is taken round-robin by province.
    provinces = {s.county_code[:2] for s in build_plan(40, TODAY).suppliers}
    assert len(provinces) >= 15


@pytest.mark.parametrize("count", [0, -1, 1217])
def test_a_count_outside_the_demo_is_refused(count: int) -> None:
    with pytest.raises(DemoSeedError, match="between 1 and 1216"):
        build_plan(count, TODAY)


async def test_seeding_writes_a_full_consistent_catalog_once(
    database: Database, settings: Settings
) -> None:
    report = await seed_demo_catalog(database, _media(settings), products=320, today=TODAY)

    assert report.products_written == 320
    async with unit_of_work(database.reader) as session:
        listed = (
            select(Product.id, Cooperative.id, County.code, County.province_code)
            .join(Cooperative, Product.cooperative_id == Cooperative.id)
            .join(County, Cooperative.county_code == County.code)
            .where(
                Product.status == ProductStatus.ACTIVE,
                Cooperative.status == SupplierStatus.VERIFIED,
                County.poverty_lifted.is_(True),
            )
        )
        rows = (await session.execute(listed)).all()
        suppliers = list(await session.scalars(select(Cooperative)))
        named = await session.execute(
            select(County.code, County.name).where(
                County.code.in_([s.county_code for s in suppliers])
            )
        )
        county_names = {code: name for code, name in named}
        certificates = list(await session.scalars(select(Certificate)))
        products = list(
            await session.scalars(
                select(Product).options(selectinload(Product.skus), selectinload(Product.photos))
            )
        )

    assert len(rows) >= 300
    assert len({r[1] for r in rows}) >= 60
    assert len({r[2] for r in rows}) >= 40
    assert len({r[3] for r in rows}) >= 10

    statuses = Counter(s.status for s in suppliers)
    assert statuses[SupplierStatus.SUSPENDED] == 1
    assert statuses[SupplierStatus.PENDING] >= 3
    for supplier in suppliers:
        code = parse_credit_code(supplier.credit_code).code
        assert code == supplier.credit_code
        assert code.startswith("93" + supplier.county_code)
        assert normalize_mobile(supplier.contact_phone) == supplier.contact_phone
        assert supplier.name.startswith(county_names[supplier.county_code])
        assert supplier.name.endswith("专业合作社")
        assert supplier.households_supported > 0

    by_supplier = {s.id: s for s in suppliers}
    for product in products:
        active_skus = [s for s in product.skus if s.is_active]
        assert 1 <= len(active_skus) <= 3
        assert product.min_price_fen == min(s.price_fen for s in active_skus)
        assert product.in_stock == any(s.stock > 0 for s in active_skus)
        assert len(product.photos) == 1
        owner = by_supplier[product.cooperative_id]
        if owner.status == SupplierStatus.PENDING:
            assert product.status == ProductStatus.DRAFT  # unverified suppliers sell nothing
            assert product.published_at is None
        else:
            assert product.status == ProductStatus.ACTIVE
            assert product.published_at is not None
    assert any(not p.in_stock for p in products)

    kinds = Counter(c.kind.value for c in certificates)
    assert kinds["gi"] and kinds["green_food"] and kinds["organic"]
    for certificate in certificates:
        assert number_problem(certificate.kind, certificate.number) is None, certificate.number
        assert certificate.valid_from < certificate.valid_until
    verified = [c for c in certificates if c.status == CertificateStatus.VERIFIED]
    assert sum(c.valid_until >= TODAY for c in verified) > len(certificates) * 0.7
    assert any(c.valid_until < TODAY for c in verified)  # some expired
    assert any(c.status == CertificateStatus.PENDING for c in certificates)

    # The photos were stored and processed like uploads: JPEG, with a 400 px thumbnail.
    photo = products[0].photos[0]
    media = _media(settings)
    with Image.open(io.BytesIO(await media.read(photo.image_key))) as image:
        assert image.format == "JPEG"
        assert image.size == (photo.width, photo.height)
    with Image.open(io.BytesIO(await media.read(photo.thumb_key))) as thumb:
        assert max(thumb.size) == 400

    # Regional brands drawn from the reference data's notes, each with products of its region
    # linked, and a required certificate held (valid, verified) where the brand names one.
    async with unit_of_work(database.reader) as session:
        brands = list(await session.scalars(select(Brand).options(selectinload(Brand.counties))))
        linked = list(
            await session.scalars(
                select(Product)
                .where(Product.brand_id.is_not(None))
                .options(selectinload(Product.certificates), selectinload(Product.cooperative))
            )
        )
    assert len(brands) >= 8
    assert {b.name for b in brands} >= {"赣南脐橙", "百色芒果", "花牛苹果", "保山小粒咖啡"}
    by_brand = {b.id: b for b in brands}
    assert {p.brand_id for p in linked} == set(by_brand)  # every brand sells something
    for product in linked:
        brand = by_brand[product.brand_id or 0]
        assert product.cooperative.county_code in {c.county_code for c in brand.counties}
        if brand.required_certificate_kind is not None:
            assert any(
                c.kind == brand.required_certificate_kind
                and c.status == CertificateStatus.VERIFIED
                and c.valid_from <= TODAY <= c.valid_until
                for c in product.certificates
            )
    assert all(b.logo_key for b in brands)

    # Idempotent: a second run writes nothing and changes nothing.
    before = (await _row_counts(database), await _snapshot(database), len(linked))
    second = await seed_demo_catalog(database, _media(settings), products=320, today=TODAY)
    assert (second.suppliers_written, second.certificates_written, second.products_written) == (
        0,
        0,
        0,
    )
    assert str(second) == "demo catalog: already up to date"
    async with unit_of_work(database.reader) as session:
        relinked = await session.scalar(
            select(func.count()).select_from(Product).where(Product.brand_id.is_not(None))
        )
    assert (await _row_counts(database), await _snapshot(database), relinked) == before


async def test_the_database_holds_exactly_the_plan(database: Database, settings: Settings) -> None:
    """Same N, same products, codes and prices, on every backend and every run."""
    await seed_demo_catalog(database, _media(settings), products=24, today=TODAY)
    plan = build_plan(24, TODAY)

    snapshot = await _snapshot(database)

    assert sorted(snapshot) == sorted(p.slug for p in plan.products)
    for product in plan.products:
        stored = snapshot[product.slug]
        assert stored[0] == product.title
        assert stored[4] == product.min_price_fen
        assert stored[7] == product.supplier_credit_code
        assert [s[:3] for s in stored[9]] == [(s.code, s.name, s.price_fen) for s in product.skus]
        assert stored[10] == tuple(
            sorted((c.kind, c.number, c.status) for c in product.certificates)
        )


async def test_a_larger_demo_adds_to_a_smaller_one(database: Database, settings: Settings) -> None:
    await seed_demo_catalog(database, _media(settings), products=10, today=TODAY)
    small = await _snapshot(database)

    report = await seed_demo_catalog(database, _media(settings), products=16, today=TODAY)

    grown = await _snapshot(database)
    assert report.products_written == 6
    assert len(grown) == 16
    assert {slug: grown[slug] for slug in small} == small


async def test_seed_demo_command_prints_a_supplier_login_that_works(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The demo commands run in development only (tests/test_cli_demo.py).
    development = settings.model_copy(update={"environment": "development"})
    monkeypatch.setattr(cli_module, "get_settings", lambda: development)

    # The command runs its own event loop, so it gets a thread of its own.
    result = await asyncio.to_thread(
        CliRunner().invoke, cli_module.cli, ["seed-demo", "--products", "12"]
    )

    assert result.exit_code == 0, result.output
    assert "12 products written" in result.output
    line = next(line for line in result.output.splitlines() if "supplier@fengshou.demo" in line)
    assert line.split()[-1] == SUPPLIER_LOGIN.password
    token = await issue_token(client, SUPPLIER_LOGIN.email, SUPPLIER_LOGIN.password)
    me = (await client.get("/api/v1/me", headers=bearer(token))).json()
    assert me["roles"] == ["supplier_admin"]
    async with unit_of_work(database.reader) as session:
        scope = await session.scalar(
            select(RoleAssignment.scope_id)
            .join(User)
            .where(User.email == SUPPLIER_LOGIN.email, RoleAssignment.role == Role.SUPPLIER_ADMIN)
        )
        cooperative = await session.get(Cooperative, scope)
    assert cooperative is not None
    assert cooperative.status == SupplierStatus.VERIFIED
    assert cooperative.credit_code == build_plan(1, TODAY).suppliers[0].credit_code

    again = await asyncio.to_thread(
        CliRunner().invoke, cli_module.cli, ["seed-demo", "--products", "12"]
    )
    assert again.exit_code == 0, again.output
    assert "demo catalog: already up to date" in again.output


@pytest.mark.parametrize("count", ["0", "5000", "twelve", "1.5"])
async def test_seed_demo_command_refuses_a_bad_count_and_writes_nothing(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch, count: str
) -> None:
    # The demo commands run in development only (tests/test_cli_demo.py).
    development = settings.model_copy(update={"environment": "development"})
    monkeypatch.setattr(cli_module, "get_settings", lambda: development)
    before = await _row_counts(database)

    result = await asyncio.to_thread(
        CliRunner().invoke, cli_module.cli, ["seed-demo", "--products", count]
    )

    assert result.exit_code == 2, result.output
    assert await _row_counts(database) == before
    assert not settings.media_dir.joinpath("products").exists()
