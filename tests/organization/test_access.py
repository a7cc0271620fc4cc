"""The organisation access check: members in the roles asked for and operators pass, everyone
else (and every id out of range) gets the same 404."""

from __future__ import annotations

import pytest

from app.account.models import Role, User
from app.core.db import Database, unit_of_work
from app.core.fields import MAX_ID
from app.organization.access import member_organization
from app.organization.errors import OrganizationNotFound
from tests.account.factories import create_user
from tests.cooperative.factories import create_operator
from tests.organization.factories import create_organization


async def _check(
    database: Database,
    user_id: int,
    organization_id: int,
    roles: frozenset[Role] | None = None,
    *,
    allow_operator: bool = True,
) -> int:
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, user_id)
        assert user is not None
        organization = await member_organization(
            session,
            user=user,
            organization_id=organization_id,
            roles=roles,
            allow_operator=allow_operator,
        )
        return organization.id


async def test_members_and_operators_pass_others_get_404(database: Database) -> None:
    buyer = await create_user(database, email="buyer@org.example")
    outsider = await create_user(database, email="outsider@example.com")
    operator = await create_operator(database)
    org_a = await create_organization(database, n=1, members={buyer: Role.ORG_BUYER})
    org_b = await create_organization(database, n=2)

    assert await _check(database, buyer, org_a) == org_a
    assert await _check(database, operator, org_b) == org_b

    for user_id, organization_id in [(outsider, org_a), (buyer, org_b)]:
        with pytest.raises(OrganizationNotFound) as caught:
            await _check(database, user_id, organization_id)
        assert caught.value.status_code == 404
        assert caught.value.code == "organization_not_found"


async def test_roles_narrow_and_operator_can_be_refused(database: Database) -> None:
    buyer = await create_user(database, email="buyer@org.example")
    operator = await create_operator(database)
    org = await create_organization(database, members={buyer: Role.ORG_BUYER})
    admins = frozenset({Role.ORG_ADMIN})

    with pytest.raises(OrganizationNotFound):
        await _check(database, buyer, org, admins)
    with pytest.raises(OrganizationNotFound):
        await _check(database, operator, org, admins, allow_operator=False)
    assert await _check(database, operator, org, admins) == org


@pytest.mark.parametrize("organization_id", [0, -1, MAX_ID + 1, 10**30])
async def test_ids_out_of_range_are_not_found(database: Database, organization_id: int) -> None:
    operator = await create_operator(database)
    with pytest.raises(OrganizationNotFound):
        await _check(database, operator, organization_id)


async def test_unknown_organization_is_not_found_even_for_operators(database: Database) -> None:
    operator = await create_operator(database)
    with pytest.raises(OrganizationNotFound):
        await _check(database, operator, 987654)
