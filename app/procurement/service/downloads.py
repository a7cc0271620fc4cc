"""Spreadsheets to download: a bulk order's validation report and an organisation's order."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.core.errors import NotFound
from app.organization.access import member_organization
from app.procurement import exports, repository
from app.procurement.errors import BulkOrderNotFound, OrganizationOrderNotFound
from app.procurement.exports import Download


async def order_xlsx(
    session: AsyncSession, *, user: User, organization_id: int, order_id: int
) -> Download:
    """An order the organisation placed, line by line; members and operators (404 else)."""
    await member_organization(session, user=user, organization_id=organization_id)
    order = await repository.organization_order(session, organization_id, order_id)
    if order is None:
        raise OrganizationOrderNotFound(order_id)
    names = await repository.cooperative_names(
        session, {line.cooperative_id for line in order.lines}
    )
    return await asyncio.to_thread(exports.order_workbook, order, order.lines, names)


async def report_xlsx(
    session: AsyncSession, *, user: User, organization_id: int, bulk_order_id: int
) -> Download:
    """A bulk order's validation report, to fix and upload again; members and operators."""
    await member_organization(session, user=user, organization_id=organization_id)
    bulk = await repository.get_bulk_order(session, organization_id, bulk_order_id, with_lines=True)
    if bulk is None:
        raise BulkOrderNotFound(bulk_order_id)
    return await asyncio.to_thread(exports.report_workbook, bulk.id, bulk.lines)


async def template(
    session: AsyncSession, *, user: User, organization_id: int, kind: str
) -> Download:
    """The empty list to fill in, "xlsx" or "csv", for members (and operators)."""
    await member_organization(session, user=user, organization_id=organization_id)
    if kind not in {"xlsx", "csv"}:
        raise NotFound("No such template: xlsx or csv.")
    return exports.template(kind)
