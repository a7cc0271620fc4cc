"""Seeding the demo organisations: a government canteen in Guangdong, a university canteen in
Shanghai and a trade union in Zhejiang, verified, with this year's reserved-share target, an
admin, a buyer and an approver each, designated counties for the first, a few paid orders, and
for the union a paid gift order to three members (placed and paid by bank transfer through the
real checkout and payment use cases, so the ledger and the dashboards see them as they would any
order).

Everything is keyed on natural keys (credit codes, e-mail addresses, idempotency keys), so a
second run finds it present and writes nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.account import service as accounts
from app.account.models import Role, User
from app.catalog.models import Product, ProductStatus, Sku
from app.checkout import service as checkout
from app.cooperative.models import Cooperative, SupplierStatus
from app.core.clock import china_year, utcnow
from app.core.db import Database, unit_of_work
from app.core.errors import DomainError
from app.core.identifiers import make_credit_code
from app.demo.accounts import DEMO_LOGINS, DemoLogin
from app.demo.gifts import seed_gift_order
from app.impact import service as impact
from app.order.models import OrderStatus
from app.order.schemas import PlaceOrderRequest
from app.order.service import PaymentTimeouts
from app.organization.models import (
    Organization,
    OrganizationKind,
    OrganizationStatus,
    ReservedShareTarget,
)
from app.payment import service as payments
from app.regions.models import County, HelperKind, Pairing, PairingKind

# Public on purpose, like every demo login.
ORG_PASSWORD = "fengshou-org"  # noqa: S105
ORDERS_PER_ORGANIZATION = 2
LINES_PER_ORDER = 2


@dataclass(frozen=True)
class DemoOrganization:
    key: str  # the e-mail prefix of its members: gd-buyer@fengshou.demo
    name: str
    kind: OrganizationKind
    region_code: str
    credit_code: str
    canteen_budget_fen: int
    reserved_share_bp: int
    delivery_detail: str


DEMO_ORGANIZATIONS = (
    DemoOrganization(
        key="gd",
        name="广东省直机关第二食堂（演示）",
        kind=OrganizationKind.GOVERNMENT,
        region_code="440106",  # 广州市天河区
        credit_code=make_credit_code("11", "440106", "DM000001"),
        canteen_budget_fen=180_000_000,  # ¥1 800 000
        reserved_share_bp=1500,
        delivery_detail="天河路 100 号 机关食堂收货处",
    ),
    DemoOrganization(
        key="sh",
        name="沪滨大学学生第一食堂（演示）",
        kind=OrganizationKind.PUBLIC_INSTITUTION,
        region_code="310104",  # 上海市徐汇区
        credit_code=make_credit_code("12", "310104", "DM000002"),
        canteen_budget_fen=420_000_000,  # ¥4 200 000
        reserved_share_bp=1200,
        delivery_detail="华山路 200 号 学生第一食堂后门",
    ),
    DemoOrganization(
        key="zj",
        name="杭州市西湖区教育工会（演示）",
        kind=OrganizationKind.TRADE_UNION,
        region_code="330106",  # 杭州市西湖区
        credit_code=make_credit_code("81", "330106", "DM000003"),
        canteen_budget_fen=60_000_000,  # ¥600 000
        reserved_share_bp=1000,
        delivery_detail="文三路 300 号 区教育工会办公室",
    ),
)
# Each organisation's members: (role, label printed with the login, name).
_MEMBERS = (
    (Role.ORG_ADMIN, "org admin", "管理员"),
    (Role.ORG_BUYER, "org buyer", "采购员"),
    (Role.ORG_APPROVER, "org approver", "审批人"),
)
# The organisation whose logins `fengshou demo` prints, and which has designated counties.
FEATURED = DEMO_ORGANIZATIONS[0]
DESIGNATED_COUNTY_COUNT = 2


def member_login(organization: DemoOrganization, role: Role) -> DemoLogin:
    label, name = next((label, name) for r, label, name in _MEMBERS if r == role)
    return DemoLogin(
        label,
        f"{organization.key}-{label.split()[1]}@fengshou.demo",
        ORG_PASSWORD,
        f"{organization.name.removesuffix('（演示）')}{name}（演示）",
        role,
    )


async def _organization(session: AsyncSession, spec: DemoOrganization) -> Organization:
    """The demo organisation, created verified, or put back to verified if someone changed it."""
    organization = await session.scalar(
        select(Organization).where(Organization.credit_code == spec.credit_code)
    )
    county = await session.get(County, spec.region_code)
    if county is None:
        raise LookupError(f"county {spec.region_code}: load the region reference data first")
    if organization is None:
        organization = Organization(
            name=spec.name,
            credit_code=spec.credit_code,
            kind=spec.kind,
            region_code=county.code,
            province_code=county.province_code,
        )
        session.add(organization)
    if organization.status != OrganizationStatus.VERIFIED:
        organization.status = OrganizationStatus.VERIFIED
        organization.status_reason = None
        organization.verified_at = utcnow()
    await session.flush()
    return organization


async def _member(session: AsyncSession, login: DemoLogin, organization_id: int) -> User:
    user = await accounts.find_user_by_email(session, login.email)
    if user is None:
        user = await accounts.create_user(
            session, email=login.email, password=login.password, display_name=login.display_name
        )
    elif not await accounts.password_matches(user, login.password):
        await accounts.set_password(session, user, login.password)
    user.is_active = True
    await accounts.grant_role(session, user, login.role, scope_id=organization_id)
    return user


async def _target(session: AsyncSession, spec: DemoOrganization, organization_id: int) -> None:
    year = china_year(utcnow())
    existing = await session.scalar(
        select(ReservedShareTarget.id).where(
            ReservedShareTarget.organization_id == organization_id,
            ReservedShareTarget.year == year,
        )
    )
    if existing is None:
        session.add(
            ReservedShareTarget(
                organization_id=organization_id,
                year=year,
                canteen_budget_fen=spec.canteen_budget_fen,
                reserved_share_bp=spec.reserved_share_bp,
            )
        )
        await session.flush()


async def _sellable_skus(session: AsyncSession) -> list[Sku]:
    """SKUs of active products of verified suppliers with stock to spare, in id order."""
    result = await session.scalars(
        select(Sku)
        .join(Product, Product.id == Sku.product_id)
        .join(Cooperative, Cooperative.id == Product.cooperative_id)
        .where(
            Product.status == ProductStatus.ACTIVE,
            Cooperative.status == SupplierStatus.VERIFIED,
            Sku.is_active.is_(True),
            Sku.stock >= 50,
        )
        .order_by(Sku.id)
        .limit(len(DEMO_ORGANIZATIONS) * ORDERS_PER_ORGANIZATION * LINES_PER_ORDER)
    )
    return list(result.all())


async def _designate_counties(
    session: AsyncSession, organization: Organization, operator: User
) -> None:
    """Give the featured organisation its designated counties (定点帮扶) once: the origin
    counties of the first demo suppliers."""
    existing = await session.scalar(
        select(Pairing.id).where(
            Pairing.kind == PairingKind.DESIGNATED,
            Pairing.helper_kind == HelperKind.ORGANIZATION,
            Pairing.helper_organization_id == organization.id,
        )
    )
    if existing is not None:
        return
    counties = list(
        await session.scalars(
            select(Cooperative.county_code)
            .where(Cooperative.status == SupplierStatus.VERIFIED)
            .group_by(Cooperative.county_code)
            .order_by(Cooperative.county_code)
            .limit(DESIGNATED_COUNTY_COUNT)
        )
    )
    if counties:
        await impact.replace_designated_counties(
            session, organization_id=organization.id, county_codes=counties, actor=operator
        )


async def _paid_order(
    database: Database,
    *,
    spec: DemoOrganization,
    organization_id: int,
    buyer_id: int,
    operator_id: int,
    number: int,
    lines: list[tuple[int, int]],
) -> bool:
    """Place one order for the organisation and confirm its bank transfer; False when the
    catalog refuses it (the demo goes on without it)."""
    request = PlaceOrderRequest.model_validate(
        {
            "shipping_address": {
                "name": "食堂收货员",
                "phone": "13800000000",
                "county_code": spec.region_code,
                "detail": spec.delivery_detail,
            },
            "payment_method": "bank_transfer",
            "organization_id": organization_id,
            "po_number": f"DEMO-{spec.key.upper()}-{number:03d}",
            "lines": [{"sku_id": sku_id, "quantity": quantity} for sku_id, quantity in lines],
        }
    )
    try:
        async with unit_of_work(database.writer) as session:
            buyer = await session.get(User, buyer_id)
            operator = await session.get(User, operator_id)
            if buyer is None or operator is None:
                return False
            order, _created = await checkout.place_order(
                session,
                buyer=buyer,
                idempotency_key=f"demo-organization-{spec.key}-{number}",
                request=request,
                timeouts=PaymentTimeouts(),
            )
            if order.status != OrderStatus.PENDING_PAYMENT.value or order.payment is None:
                return True  # placed and paid by an earlier run
            await payments.confirm_bank_transfer(
                session,
                order_id=order.id,
                bank_reference=order.payment.bank_reference or "",
                amount_fen=order.total_fen,
                actor=operator,
            )
    except DomainError:
        return False
    return True


async def seed_demo_organizations(database: Database, *, orders: bool = True) -> list[str]:
    """The demo organisations, their members and targets (idempotent); with `orders`, a few
    paid orders each. Returns the printable logins of the featured organisation's members."""
    operator_login = next(login for login in DEMO_LOGINS if login.role == Role.OPERATOR)
    plans: list[tuple[DemoOrganization, int, dict[Role, int]]] = []
    async with unit_of_work(database.writer) as session:
        operator = await accounts.find_user_by_email(session, operator_login.email)
        for spec in DEMO_ORGANIZATIONS:
            organization = await _organization(session, spec)
            members = {
                role: await _member(session, member_login(spec, role), organization.id)
                for role, _label, _name in _MEMBERS
            }
            await _target(session, spec, organization.id)
            if spec is FEATURED and operator is not None:
                await _designate_counties(session, organization, operator)
            plans.append((spec, organization.id, {r: user.id for r, user in members.items()}))
        skus = [(sku.id, max(sku.min_qty, 3)) for sku in await _sellable_skus(session)]
        operator_id = operator.id if operator is not None else None
    if orders and operator_id is not None:
        for index, (spec, organization_id, member_ids) in enumerate(plans):
            buyer_id = member_ids[Role.ORG_BUYER]
            for number in range(ORDERS_PER_ORGANIZATION):
                start = (index * ORDERS_PER_ORGANIZATION + number) * LINES_PER_ORDER
                lines = skus[start : start + LINES_PER_ORDER]
                if lines:
                    await _paid_order(
                        database,
                        spec=spec,
                        organization_id=organization_id,
                        buyer_id=buyer_id,
                        operator_id=operator_id,
                        number=number + 1,
                        lines=lines,
                    )
            if spec.kind == OrganizationKind.TRADE_UNION:
                await seed_gift_order(
                    database,
                    organization_id=organization_id,
                    contact_detail=spec.delivery_detail,
                    contact_county=spec.region_code,
                    buyer_id=buyer_id,
                    approver_id=member_ids[Role.ORG_APPROVER],
                    operator_id=operator_id,
                )
    return [
        f"{login.label:<9} {login.email} / {login.password}  ({FEATURED.name})"
        for login in (member_login(FEATURED, role) for role, _label, _name in _MEMBERS)
    ]
