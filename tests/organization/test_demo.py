"""The demo organisations: three verified ones with targets, an admin, a buyer and an approver
each, designated counties for the first and paid orders the dashboards show; idempotent."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from app.account.models import RoleAssignment, User
from app.config import Settings
from app.core.db import Database, unit_of_work
from app.core.identifiers import parse_credit_code
from app.core.storage import LocalMediaStorage
from app.demo import DEMO_ORGANIZATIONS, seed_demo_accounts, seed_demo_catalog
from app.demo.organizations import seed_demo_organizations
from app.impact.models import LedgerEntry
from app.order.models import Fulfillment, Order, OrderStatus
from app.organization.models import (
    Organization,
    OrganizationKind,
    OrganizationStatus,
    ReservedShareTarget,
)
from app.procurement.models import BulkOrder, BulkOrderKind, BulkOrderStatus
from app.regions.models import Pairing, PairingKind
from tests.account.factories import bearer, issue_token


async def _counts(database: Database) -> dict[str, Any]:
    async with unit_of_work(database.reader) as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in (
                Organization,
                ReservedShareTarget,
                User,
                RoleAssignment,
                Order,
                LedgerEntry,
                Pairing,
            )
        }


async def test_the_demo_organisations_are_seeded_once_with_paid_orders(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    await seed_demo_catalog(database, LocalMediaStorage(settings.media_dir), products=24)
    await seed_demo_accounts(database)

    logins = await seed_demo_organizations(database)

    async with unit_of_work(database.reader) as session:
        organizations = list(await session.scalars(select(Organization).order_by(Organization.id)))
        assert [(o.name, o.kind.value, o.province_code) for o in organizations] == [
            (spec.name, spec.kind.value, spec.region_code[:2] + "0000")
            for spec in DEMO_ORGANIZATIONS
        ]
        assert {o.status for o in organizations} == {OrganizationStatus.VERIFIED}
        for organization in organizations:
            parse_credit_code(organization.credit_code)
        targets = list(await session.scalars(select(ReservedShareTarget)))
        assert len(targets) == 3
        assert min(t.reserved_share_bp for t in targets) >= 1000
        orders = list(await session.scalars(select(Order)))
        assert {o.organization_id for o in orders} == {o.id for o in organizations}
        assert {o.status for o in orders} == {OrderStatus.PAID}
        assert all(o.po_number for o in orders)
        designated = await session.scalar(
            select(func.count())
            .select_from(Pairing)
            .where(
                Pairing.kind == PairingKind.DESIGNATED,
                Pairing.helper_organization_id == organizations[0].id,
            )
        )
        assert designated == 2
        # The union's gift: three members, two suppliers, a parcel each, paid.
        (gift,) = await session.scalars(
            select(BulkOrder).where(BulkOrder.kind == BulkOrderKind.GIFT)
        )
        union = next(o for o in organizations if o.kind == OrganizationKind.TRADE_UNION)
        assert (gift.organization_id, gift.status, gift.recipient_count) == (
            union.id,
            BulkOrderStatus.APPROVED,
            3,
        )
        parcels = list(
            await session.scalars(select(Fulfillment).where(Fulfillment.order_id == gift.order_id))
        )
        assert len(parcels) == 6
        assert len({p.cooperative_id for p in parcels}) == 2
        assert {p.parcel_no for p in parcels} == {2, 3, 4}

    # The printed logins work: the featured organisation's admin, buyer and approver.
    assert [line.split()[1] for line in logins] == ["admin", "buyer", "approver"]
    for line in logins:
        address, password = line.split()[2], line.split()[4]
        token = await issue_token(client, address, password)
        me = (await client.get("/api/v1/me", headers=bearer(token))).json()
        assert me["organization_ids"] == [organizations[0].id]
    report = (
        await client.get(
            f"/api/v1/impact/organizations/{organizations[0].id}", headers=bearer(token)
        )
    ).json()
    assert report["target_fen"] == 27_000_000  # ¥1 800 000 × 15 %
    assert report["purchased_fen"] > 0
    assert report["order_count"] == 2

    before = await _counts(database)
    assert await seed_demo_organizations(database) == logins
    assert await _counts(database) == before
