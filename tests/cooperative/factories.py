"""Plain typed factories for suppliers: application bodies with valid credit codes,
cooperatives (applied for, or written straight into the table), their members and statuses."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.account.models import Invitation, Role, RoleAssignment, User
from app.audit.models import AuditEntry
from app.cooperative import service
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.core.identifiers import make_credit_code
from tests.account.factories import create_user, token_headers

POVERTY_COUNTY = "522633"  # 从江县, 贵州省: one of the 832
POVERTY_COUNTY_NAME = "从江县"
OTHER_COUNTY = "110105"  # 朝阳区, 北京市: not poverty-lifted
OTHER_COUNTY_NAME = "朝阳区"
KEY_COUNTY = "450225"  # 融水苗族自治县, Guangxi: poverty-lifted and key assistance
KEY_COUNTY_2 = "513431"  # 昭觉县, Sichuan: poverty-lifted and key assistance
PLAIN_COUNTY = "360724"  # 上犹县, Jiangxi: poverty-lifted, not key assistance

# Numbers for suppliers the test does not number itself: clear of the small ones tests choose.
_numbers = itertools.count(1000)


def credit_code(n: int = 1, prefix: str = "93", region: str = POVERTY_COUNTY) -> str:
    """A valid credit code, different for each `n`."""
    return make_credit_code(prefix, region, f"MA{n:06d}")


def application(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid POST /cooperatives body."""
    body: dict[str, Any] = {
        "name": f"从江县香猪养殖专业合作社{n}",
        "credit_code": credit_code(n),
        "county_code": POVERTY_COUNTY,
        "contact_name": "吴建国",
        "contact_phone": "138 0855 1234",
        "households_supported": 120,
        "recommendation_ref": "从农推〔2026〕12号",
        "description": "香猪散养，带动周边农户。",
    }
    body.update(overrides)
    return body


async def create_cooperative(
    database: Database,
    *,
    n: int | None = None,
    name: str | None = None,
    county_code: str = POVERTY_COUNTY,
    households_supported: int = 120,
    status: SupplierStatus = SupplierStatus.VERIFIED,
    reason: str | None = None,
    admin_id: int | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> int:
    """A committed supplier described by `application(n)` with the fields given, put into
    `status`; returns its id. With `admin_id` it applies as that user does (the user becomes
    its admin, the application is audited); without, the row is written straight into the
    table. `n` numbers its name and credit code: a new number for each call unless given."""
    body = application(
        next(_numbers) if n is None else n,
        county_code=county_code,
        households_supported=households_supported,
    )
    if name is not None:
        body["name"] = name
    async with unit_of_work(database.writer) as session:
        if admin_id is None:
            cooperative = Cooperative(
                name=body["name"],
                kind=SupplierKind.COOPERATIVE,
                credit_code=body["credit_code"],
                county_code=county_code,
                contact_name=body["contact_name"],
                contact_phone=body["contact_phone"].replace(" ", ""),
                households_supported=households_supported,
                status=status,
            )
            session.add(cooperative)
            await session.flush()
        else:
            user = await session.get(User, admin_id)
            assert user is not None
            created = await service.apply(
                session, user=user, application=service.SupplierApplication(**body)
            )
            applied = await session.get(Cooperative, created.id)
            assert applied is not None
            cooperative = applied
        cooperative.status = status
        cooperative.status_reason = reason
        if status in {SupplierStatus.VERIFIED, SupplierStatus.SUSPENDED}:
            cooperative.verified_at = utcnow()
        cooperative.webhook_url = webhook_url
        cooperative.webhook_secret = webhook_secret
        return cooperative.id


async def add_member(
    database: Database,
    cooperative_id: int,
    *,
    email: str | None = None,
    role: Role = Role.SUPPLIER_ADMIN,
    password: str | None = None,
    display_name: str = "合作社成员",
) -> int:
    """A new user who acts for the supplier; returns the user id. Without a password (the
    default) they call the API with a token only, which spares the hashing."""
    return await create_user(
        database,
        email=email,
        password=password,
        display_name=display_name,
        roles=((role, cooperative_id, None),),
    )


@dataclass(frozen=True)
class Supplier:
    """A supplier with one member (an admin unless told) and that member's bearer headers."""

    id: int
    user_id: int
    email: str
    headers: dict[str, str]


async def create_supplier(
    database: Database,
    *,
    name: str = "融水苗家合作社",
    county_code: str = KEY_COUNTY,
    status: SupplierStatus = SupplierStatus.VERIFIED,
    email: str | None = None,
    role: Role = Role.SUPPLIER_ADMIN,
    password: str | None = None,
) -> Supplier:
    cooperative_id = await create_cooperative(
        database, name=name, county_code=county_code, status=status
    )
    email = email or f"coop{cooperative_id}-{uuid.uuid4().hex[:8]}@example.com"
    user_id = await add_member(database, cooperative_id, email=email, role=role, password=password)
    return Supplier(cooperative_id, user_id, email, token_headers(user_id))


async def set_cooperative_status(
    database: Database, cooperative_id: int, status: SupplierStatus
) -> None:
    """Put the supplier straight into `status` (no audit, no reindex: the operator's path
    does those)."""
    async with unit_of_work(database.writer) as session:
        cooperative = await session.get(Cooperative, cooperative_id)
        assert cooperative is not None
        cooperative.status = status


async def count_rows(database: Database, model: type[Any]) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def snapshot(database: Database) -> dict[str, int]:
    """Row counts of every table onboarding and review write to."""
    return {
        "cooperatives": await count_rows(database, Cooperative),
        "role_assignments": await count_rows(database, RoleAssignment),
        "audit_entries": await count_rows(database, AuditEntry),
        "invitations": await count_rows(database, Invitation),
    }


async def status_of(database: Database, cooperative_id: int) -> tuple[SupplierStatus, str | None]:
    async with unit_of_work(database.reader) as session:
        cooperative = await session.get(Cooperative, cooperative_id)
        assert cooperative is not None
        return cooperative.status, cooperative.status_reason


async def supplier_roles(database: Database, cooperative_id: int) -> dict[int, set[Role]]:
    """user id → supplier roles held for the cooperative."""
    async with unit_of_work(database.reader) as session:
        rows = await session.execute(
            select(RoleAssignment.user_id, RoleAssignment.role).where(
                RoleAssignment.scope_id == cooperative_id,
                RoleAssignment.role.in_([Role.SUPPLIER_ADMIN, Role.SUPPLIER_MEMBER]),
            )
        )
        result: dict[int, set[Role]] = {}
        for user_id, role in rows:
            result.setdefault(user_id, set()).add(role)
        return result
