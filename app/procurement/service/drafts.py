"""Bulk order drafts: a list uploaded (or a past order ordered again) and checked, uploaded
again or checked again, read and listed; nothing is reserved."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import Role, User
from app.core.clock import china_date, utcnow
from app.core.fields import has_control_characters
from app.core.sheets import Table, read_table
from app.order.errors import OrganizationNotVerified
from app.order.service import MAX_PAGE, MAX_PER_PAGE
from app.organization.access import member_organization
from app.organization.models import Organization, OrganizationStatus
from app.procurement import repository
from app.procurement.errors import (
    BulkOrderNotFound,
    InvalidStatusFilter,
    NotADraft,
    OrganizationOrderNotFound,
    UploadTooLarge,
)
from app.procurement.models import BulkOrder, BulkOrderKind, BulkOrderLine, BulkOrderStatus
from app.procurement.schemas import BulkOrderOut, BulkOrderPage
from app.procurement.service.checking import (
    COLUMNS,
    OPTIONAL_COLUMNS,
    CheckedLine,
    CheckedList,
    Entry,
    LineError,
    check_catalog,
    check_entries,
)
from app.procurement.service.views import bulk_order_view, summary_view

# Who may draw up and submit bulk orders, and who decides on them.
BUYING_ROLES = frozenset({Role.ORG_BUYER, Role.ORG_ADMIN})
DECIDING_ROLES = frozenset({Role.ORG_APPROVER, Role.ORG_ADMIN})
# A 5,000-row list is some 150 KB as XLSX and less as CSV; this leaves room for wide sheets.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
FILENAME_KEPT = 200
_PATH_PART = re.compile(r".*[/\\]")


async def acting_organization(
    session: AsyncSession, user: User, organization_id: int, roles: frozenset[Role]
) -> Organization:
    """The organisation the user acts for in one of `roles` (operators see, they do not act:
    404 like any outsider); one not verified yet orders nothing (409)."""
    organization = await member_organization(
        session, user=user, organization_id=organization_id, roles=roles, allow_operator=False
    )
    if organization.status != OrganizationStatus.VERIFIED:
        raise OrganizationNotVerified(organization.id)
    return organization


def check_upload_size(data: bytes) -> None:
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(MAX_UPLOAD_BYTES)


async def read_list(data: bytes, filename: str | None) -> Table:
    """The uploaded list's rows, or 4xx saying why not (app.core.sheets' checks). Parsing is
    CPU work (a few hundred ms for 5,000 XLSX rows): it runs in a thread."""
    check_upload_size(data)
    return await asyncio.to_thread(
        read_table, data, filename, required=COLUMNS, optional=OPTIONAL_COLUMNS
    )


def clean_filename(filename: str | None) -> str | None:
    """The file's own name (no client path), printable, as long as the column holds."""
    if not filename:
        return None
    name = _PATH_PART.sub("", filename)
    name = "".join(char for char in name if not has_control_characters(char)).strip()
    return name[:FILENAME_KEPT] or None


async def _store_check(session: AsyncSession, bulk: BulkOrder, checked: CheckedList) -> None:
    """The check's outcome on the bulk order, its lines written anew (one batched INSERT)."""
    bulk.valid = checked.valid
    bulk.problem = checked.problem
    bulk.line_count = len(checked.lines)
    bulk.error_count = checked.error_count
    bulk.goods_fen = checked.goods_fen
    bulk.checked_at = utcnow()
    session.add(bulk)
    await session.flush()
    await repository.delete_lines(session, bulk.id)
    await repository.add_lines(
        session, [{**line.columns(), "bulk_order_id": bulk.id} for line in checked.lines]
    )


async def _new_draft(
    session: AsyncSession,
    *,
    user: User,
    organization: Organization,
    checked: CheckedList,
    filename: str | None = None,
    reorder_of: int | None = None,
) -> BulkOrderOut:
    bulk = BulkOrder(
        organization_id=organization.id,
        status=BulkOrderStatus.DRAFT,
        created_by_user_id=user.id,
        source_filename=clean_filename(filename),
        reorder_of_order_id=reorder_of,
    )
    await _store_check(session, bulk, checked)
    return bulk_order_view(bulk, checked.lines)


async def upload(
    session: AsyncSession, *, user: User, organization_id: int, data: bytes, filename: str | None
) -> BulkOrderOut:
    """A new draft from an uploaded CSV or XLSX list, with its validation report; an
    unreadable file is refused (4xx) and nothing is stored. Buyers and admins of a verified
    organisation only (anyone else: 404)."""
    organization = await acting_organization(session, user, organization_id, BUYING_ROLES)
    table = await read_list(data, filename)
    checked = await check_entries(session, map(Entry.of, table.rows), today=china_date(utcnow()))
    return await _new_draft(
        session, user=user, organization=organization, checked=checked, filename=filename
    )


async def draft(
    session: AsyncSession,
    organization_id: int,
    bulk_order_id: int,
    *,
    with_lines: bool = False,
    kind: BulkOrderKind = BulkOrderKind.BULK,
) -> BulkOrder:
    """The organisation's draft of `kind`, locked; 404 if none, 409 once submitted."""
    bulk = await repository.get_bulk_order(
        session,
        organization_id,
        bulk_order_id,
        with_lines=with_lines,
        for_update=True,
        kind=kind,
    )
    if bulk is None:
        raise BulkOrderNotFound(bulk_order_id)
    if bulk.status != BulkOrderStatus.DRAFT:
        raise NotADraft(bulk.id, bulk.status.value)
    return bulk


async def replace_list(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    bulk_order_id: int,
    data: bytes,
    filename: str | None,
) -> BulkOrderOut:
    """The draft's list replaced by a corrected upload, checked afresh (drafts only: 409)."""
    await acting_organization(session, user, organization_id, BUYING_ROLES)
    bulk = await draft(session, organization_id, bulk_order_id)
    table = await read_list(data, filename)
    checked = await check_entries(session, map(Entry.of, table.rows), today=china_date(utcnow()))
    bulk.source_filename = clean_filename(filename)
    bulk.reorder_of_order_id = None
    await _store_check(session, bulk, checked)
    return bulk_order_view(bulk, checked.lines)


def _stored(line: BulkOrderLine) -> CheckedLine:
    return CheckedLine(
        row=line.row,
        sku_code=line.sku_code,
        quantity=line.quantity,
        quantity_text=line.quantity_text,
        delivery_date=line.delivery_date,
        merged_rows=list(line.merged_rows),
        sku_id=line.sku_id,
        title=line.title,
        unit_price_fen=line.unit_price_fen,
        line_total_fen=line.line_total_fen,
        error_code=LineError(line.error_code) if line.error_code else None,
        error=line.error,
        error_limit=line.error_limit,
    )


async def recheck(
    session: AsyncSession, *, user: User, organization_id: int, bulk_order_id: int
) -> BulkOrderOut:
    """The draft's lines checked again against the catalog now (stock and prices change);
    errors in what was typed stay until the list is uploaded again."""
    await acting_organization(session, user, organization_id, BUYING_ROLES)
    bulk = await draft(session, organization_id, bulk_order_id, with_lines=True)
    checked = await check_catalog(
        session, [_stored(line) for line in bulk.lines], today=china_date(utcnow())
    )
    await _store_check(session, bulk, checked)
    return bulk_order_view(bulk, checked.lines)


async def delete_draft(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    bulk_order_id: int,
    kind: BulkOrderKind = BulkOrderKind.BULK,
) -> None:
    """A draft thrown away (its lines and recipients go with it); submitted ones stay (409)."""
    await member_organization(
        session,
        user=user,
        organization_id=organization_id,
        roles=BUYING_ROLES,
        allow_operator=False,
    )
    bulk = await draft(session, organization_id, bulk_order_id, kind=kind)
    await repository.delete_bulk_order(session, bulk.id)


async def reorder(
    session: AsyncSession, *, user: User, organization_id: int, order_id: int
) -> BulkOrderOut:
    """A new draft with the lines of an order the organisation placed, checked now (prices,
    stock and availability may have changed since)."""
    organization = await acting_organization(session, user, organization_id, BUYING_ROLES)
    order = await repository.organization_order(session, organization.id, order_id)
    if order is None:
        raise OrganizationOrderNotFound(order_id)
    entries = [
        Entry(row=number, sku_code=line.sku_code, quantity=str(line.quantity))
        for number, line in enumerate(order.lines, start=1)
    ]
    checked = await check_entries(session, entries, today=china_date(utcnow()))
    return await _new_draft(
        session, user=user, organization=organization, checked=checked, reorder_of=order.id
    )


# ---------------------------------------------------------------------------------------------
# Reading


async def get_bulk_order(
    session: AsyncSession, *, user: User, organization_id: int, bulk_order_id: int
) -> BulkOrderOut:
    """One bulk order with its report: members of the organisation and operators (404 else)."""
    await member_organization(session, user=user, organization_id=organization_id)
    bulk = await repository.get_bulk_order(session, organization_id, bulk_order_id, with_lines=True)
    if bulk is None:
        raise BulkOrderNotFound(bulk_order_id)
    return bulk_order_view(bulk, bulk.lines)


def parse_statuses(status: str | None) -> list[BulkOrderStatus] | None:
    """`status=submitted` or `status=draft,submitted`; none: every status."""
    if status is None or not status.strip():
        return None
    allowed = [member.value for member in BulkOrderStatus]
    names = [name.strip() for name in status.split(",") if name.strip()]
    if not names or any(name not in allowed for name in names):
        raise InvalidStatusFilter(allowed)
    return [BulkOrderStatus(name) for name in names]


async def list_bulk_orders(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> BulkOrderPage:
    """The organisation's bulk orders, newest first, without their lines."""
    await member_organization(session, user=user, organization_id=organization_id)
    statuses = parse_statuses(status)
    page = min(max(page, 1), MAX_PAGE)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    found, total = await repository.list_bulk_orders(
        session,
        organization_id,
        statuses=statuses,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    return BulkOrderPage(
        items=[summary_view(bulk) for bulk in found], total=total, page=page, per_page=per_page
    )
