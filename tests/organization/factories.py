"""Factories for organisations: valid credit codes, organisations in any status, members."""

from __future__ import annotations

from app.account import service as account_service
from app.account.models import Role, User
from app.core.db import Database, unit_of_work
from app.core.identifiers import make_credit_code
from app.organization.models import Organization, OrganizationKind, OrganizationStatus

ORG_COUNTY = "440106"  # 天河区, 广东省
ORG_PROVINCE = "440000"


def org_credit_code(n: int = 1, region: str = ORG_COUNTY) -> str:
    """A valid credit code of a state organ (prefix 11), different for each `n`."""
    return make_credit_code("11", region, f"GA{n:06d}")


async def create_organization(
    database: Database,
    *,
    n: int = 1,
    status: OrganizationStatus = OrganizationStatus.VERIFIED,
    members: dict[int, Role] | None = None,
    kind: OrganizationKind = OrganizationKind.GOVERNMENT,
) -> int:
    """A committed organisation in `status` with `members` (user id -> role); returns its id."""
    async with unit_of_work(database.writer) as session:
        organization = Organization(
            name=f"测试机关食堂{n}",
            credit_code=org_credit_code(n),
            kind=kind,
            region_code=ORG_COUNTY,
            province_code=ORG_PROVINCE,
            status=status,
        )
        session.add(organization)
        await session.flush()
        for user_id, role in (members or {}).items():
            user = await session.get(User, user_id)
            assert user is not None
            await account_service.grant_role(session, user, role, scope_id=organization.id)
        return organization.id
