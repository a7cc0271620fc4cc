"""Plain typed factories for organisations: budget units such as government canteens."""

from __future__ import annotations

import itertools
import uuid

from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.organization.models import Organization, OrganizationKind, OrganizationStatus

_numbers = itertools.count(1)


async def create_organization(
    database: Database,
    *,
    name: str | None = None,
    region_code: str = "310104",  # 上海市徐汇区
    kind: OrganizationKind = OrganizationKind.GOVERNMENT,
    status: OrganizationStatus = OrganizationStatus.VERIFIED,
) -> int:
    """A committed organisation in `status`; returns its id."""
    async with unit_of_work(database.writer) as session:
        organization = Organization(
            name=name or f"测试单位食堂{next(_numbers)}",
            credit_code=("11" + uuid.uuid4().hex.upper())[:18],
            kind=kind,
            region_code=region_code,
            province_code=region_code[:2] + "0000",
            status=status,
            verified_at=utcnow() if status == OrganizationStatus.VERIFIED else None,
        )
        session.add(organization)
        await session.flush()
        return organization.id
