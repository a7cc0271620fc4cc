"""Factories for organisations: valid credit codes, registration bodies, organisations in any
status with members, users with tokens and row counts."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select, update

from app.account import service as account_service
from app.account.models import Invitation, Role, RoleAssignment, User
from app.audit.models import AuditEntry
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.core.identifiers import make_credit_code
from app.jobs.models import Job
from app.organization.models import (
    Organization,
    OrganizationKind,
    OrganizationStatus,
    ReservedShareTarget,
)
from tests.account.factories import create_user, token_headers

ORG_COUNTY = "440106"  # 天河区, 广东省
ORG_PROVINCE = "440000"


def org_credit_code(n: int = 1, region: str = ORG_COUNTY, prefix: str = "11") -> str:
    """A valid credit code of a state organ (prefix 11), different for each `n`."""
    return make_credit_code(prefix, region, f"GA{n:06d}")


def application(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid POST /organizations body."""
    body: dict[str, Any] = {
        "name": f"天河区机关食堂{n}",
        "credit_code": org_credit_code(n),
        "kind": "government",
        "region_code": ORG_COUNTY,
    }
    body.update(overrides)
    return body


_numbers = itertools.count(1_000)


async def create_organization(
    database: Database,
    *,
    n: int | None = None,
    name: str | None = None,
    region_code: str = ORG_COUNTY,
    status: OrganizationStatus = OrganizationStatus.VERIFIED,
    members: dict[int, Role] | None = None,
    kind: OrganizationKind = OrganizationKind.GOVERNMENT,
) -> int:
    """A committed organisation in `status` with `members` (user id -> role); returns its id.
    `n` picks its name and credit code (a new one for each call without it)."""
    number = next(_numbers) if n is None else n
    async with unit_of_work(database.writer) as session:
        organization = Organization(
            name=name or f"测试机关食堂{number}",
            credit_code=org_credit_code(number, region_code),
            kind=kind,
            region_code=region_code,
            province_code=region_code[:2] + "0000",
            status=status,
            verified_at=utcnow() if status == OrganizationStatus.VERIFIED else None,
        )
        session.add(organization)
        await session.flush()
        for user_id, role in (members or {}).items():
            user = await session.get(User, user_id)
            assert user is not None
            await account_service.grant_role(session, user, role, scope_id=organization.id)
        return organization.id


async def user_with_token(
    app: FastAPI, database: Database, email: str, *, roles: tuple[Role, ...] = (Role.CONSUMER,)
) -> tuple[int, dict[str, str]]:
    user_id = await create_user(
        database, email=email, display_name=email.split("@")[0], roles=roles
    )
    return user_id, token_headers(user_id)


async def count_rows(database: Database, model: type[Any]) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def snapshot(database: Database) -> dict[str, int]:
    """Row counts of every table the organisation's use cases write to."""
    return {
        "organizations": await count_rows(database, Organization),
        "role_assignments": await count_rows(database, RoleAssignment),
        "audit_entries": await count_rows(database, AuditEntry),
        "invitations": await count_rows(database, Invitation),
        "targets": await count_rows(database, ReservedShareTarget),
        "jobs": await count_rows(database, Job),
    }


async def org_roles(database: Database, organization_id: int) -> dict[int, set[Role]]:
    """user id → organisation roles held in the organisation."""
    async with unit_of_work(database.reader) as session:
        rows = await session.execute(
            select(RoleAssignment.user_id, RoleAssignment.role).where(
                RoleAssignment.scope_id == organization_id,
                RoleAssignment.role.in_([Role.ORG_ADMIN, Role.ORG_APPROVER, Role.ORG_BUYER]),
            )
        )
        result: dict[int, set[Role]] = {}
        for user_id, role in rows.all():
            result.setdefault(user_id, set()).add(role)
        return result


async def organization_status(database: Database, organization_id: int) -> OrganizationStatus:
    async with unit_of_work(database.reader) as session:
        organization = await session.get(Organization, organization_id)
        assert organization is not None
        return organization.status


async def expire_invitation(database: Database, invitation_id: int) -> None:
    """Move the invitation's expiry into the past, as if its days had gone by."""
    from datetime import timedelta

    from app.core.clock import utcnow

    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
