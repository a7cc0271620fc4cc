"""Factories for suppliers: valid credit codes, application bodies, operators and suppliers."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from app.account.models import Invitation, Role, RoleAssignment, User
from app.audit.models import AuditEntry
from app.cooperative import service
from app.cooperative.models import Cooperative, SupplierStatus
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.core.identifiers import make_credit_code
from tests.account.factories import create_user

POVERTY_COUNTY = "522633"  # 从江县, 贵州省: one of the 832
POVERTY_COUNTY_NAME = "从江县"
OTHER_COUNTY = "110105"  # 朝阳区, 北京市: not poverty-lifted
OTHER_COUNTY_NAME = "朝阳区"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The contract's error form with this status and code; returns the error."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code, error
    assert error["message"]
    return error


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


async def create_operator(database: Database, email: str = "ops@example.com") -> int:
    return await create_user(
        database, email=email, display_name="平台运营小王", roles=(Role.OPERATOR,)
    )


async def create_cooperative(
    database: Database,
    *,
    admin_id: int,
    n: int = 1,
    status: SupplierStatus = SupplierStatus.PENDING,
    reason: str | None = None,
) -> int:
    """A committed supplier with `admin_id` as its admin, put straight into `status`."""
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, admin_id)
        assert user is not None
        body = application(n)
        created = await service.apply(
            session,
            user=user,
            application=service.SupplierApplication(**body),
        )
        cooperative = await session.get(Cooperative, created.id)
        assert cooperative is not None
        cooperative.status = status
        cooperative.status_reason = reason
        if status in {SupplierStatus.VERIFIED, SupplierStatus.SUSPENDED}:
            cooperative.verified_at = utcnow()
        return created.id


async def add_role(database: Database, user_id: int, role: Role, cooperative_id: int) -> None:
    async with unit_of_work(database.writer) as session:
        session.add(RoleAssignment(user_id=user_id, role=role, scope_id=cooperative_id))


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
