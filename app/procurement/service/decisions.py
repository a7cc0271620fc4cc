"""A bulk order's way to an order: a buyer submits a checked draft (payment method, address,
PO number), another approver or admin approves it, which places the order the way checkout
places one (stock reserved, payment opened, expiry scheduled), or rejects it with a comment."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.cart.pricing import PricedBasket, price_basket
from app.checkout import service as checkout_service
from app.checkout.schemas import OrderOut
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.fields import has_control_characters
from app.order import service as order_service
from app.order.models import PaymentMethod
from app.order.schemas import OrderLineIn, PlaceOrderRequest, ShippingAddressIn
from app.order.service import PaymentTimeouts
from app.organization.access import member_organization
from app.organization.errors import OrganizationNotFound
from app.procurement import repository
from app.procurement.errors import (
    AlreadyDecided,
    BulkOrderInvalid,
    BulkOrderNotFound,
    InvalidComment,
    NotADraft,
    NotSubmitted,
    OwnSubmission,
    SubmitterLeft,
)
from app.procurement.models import BulkOrder, BulkOrderKind, BulkOrderLine, BulkOrderStatus
from app.procurement.schemas import COMMENT_MAX_LENGTH, BulkOrderOut, SubmitRequest
from app.procurement.service.drafts import BUYING_ROLES, DECIDING_ROLES, acting_organization
from app.procurement.service.views import bulk_order_view

_LINE_FIELD = re.compile(r"lines\.(\d+)\.(.+)")
_SKU_FIELD = re.compile(r"skus\.(\d+)")


def order_key(bulk_order_id: int) -> str:
    """The Idempotency-Key of the order a bulk order places: one order per bulk order."""
    return f"bulk-order-{bulk_order_id}"


def _by_row(error: DomainError, lines: Sequence[BulkOrderLine]) -> DomainError:
    """An order error's fields named by the list's rows (`rows.12.quantity`) rather than by
    the order request's line index or the SKU id."""
    by_sku = {line.sku_id: line.row for line in lines}
    renamed: dict[str, str] = {}
    for name, message in error.fields.items():
        line_field = _LINE_FIELD.fullmatch(name)
        sku_field = _SKU_FIELD.fullmatch(name)
        if line_field and int(line_field[1]) < len(lines):
            name = f"rows.{lines[int(line_field[1])].row}.{line_field[2]}"
        elif sku_field and int(sku_field[1]) in by_sku:
            name = f"rows.{by_sku[int(sku_field[1])]}.quantity"
        renamed[name] = message
    error.fields = renamed
    return error


def _items(bulk: BulkOrder) -> list[tuple[int, int]]:
    """The (sku_id, quantity) pairs of a checked, valid list."""
    return [(line.sku_id or 0, line.quantity or 0) for line in bulk.lines]


async def _priced(session: AsyncSession, bulk: BulkOrder, county_code: str) -> PricedBasket:
    """The list priced for delivery to the county now, as an order would be: each SKU still on
    sale, at its minimum, in stock, its supplier serving the destination."""
    try:
        return await price_basket(session, _items(bulk), destination_county_code=county_code)
    except DomainError as exc:
        raise _by_row(exc, bulk.lines) from None


async def locked(
    session: AsyncSession,
    organization_id: int,
    bulk_order_id: int,
    *,
    kind: BulkOrderKind = BulkOrderKind.BULK,
) -> BulkOrder:
    """The organisation's bulk order (or gift) with its lines and recipients, locked."""
    bulk = await repository.get_bulk_order(
        session,
        organization_id,
        bulk_order_id,
        with_lines=True,
        with_recipients=kind == BulkOrderKind.GIFT,
        for_update=True,
        kind=kind,
    )
    if bulk is None:
        raise BulkOrderNotFound(bulk_order_id)
    return bulk


async def submit(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    bulk_order_id: int,
    request: SubmitRequest,
) -> BulkOrderOut:
    """A valid draft submitted for approval with its payment method, delivery address and PO
    number, all checked as an order checks them, and the list priced again for that address
    (stock, tier prices, shipping). Buyers and admins; a draft with problems: 409."""
    organization = await acting_organization(session, user, organization_id, BUYING_ROLES)
    bulk = await locked(session, organization.id, bulk_order_id)
    if bulk.status != BulkOrderStatus.DRAFT:
        raise NotADraft(bulk.id, bulk.status.value)
    if not bulk.valid:
        raise BulkOrderInvalid(bulk.id, bulk.error_count, bulk.problem)
    address, po_number = await order_service.check_delivery(
        session,
        shipping_address=request.shipping_address,
        po_number=request.po_number,
    )
    basket = await _priced(session, bulk, address.county.code)
    for line, priced in zip(bulk.lines, basket.lines, strict=True):
        line.unit_price_fen = priced.unit_price_fen
        line.line_total_fen = priced.line_total_fen
    now = utcnow()
    bulk.status = BulkOrderStatus.SUBMITTED
    bulk.submitted_by_user_id = user.id
    bulk.submitted_at = now
    bulk.payment_method = PaymentMethod(request.payment_method)
    bulk.po_number = po_number
    bulk.ship_to_name = address.name
    bulk.ship_to_phone = address.phone
    bulk.ship_to_county_code = address.county.code
    bulk.ship_to_detail = address.detail
    bulk.goods_fen = basket.goods_fen
    bulk.shipping_fen = basket.shipping_fen
    await session.flush()
    return bulk_order_view(bulk, bulk.lines)


async def deciding(
    session: AsyncSession,
    user: User,
    organization_id: int,
    bulk_order_id: int,
    *,
    kind: BulkOrderKind = BulkOrderKind.BULK,
) -> BulkOrder:
    """The submitted bulk order, locked, that `user` may decide on; 409 if it is a draft or
    already decided, 403 if the user submitted it."""
    bulk = await locked(session, organization_id, bulk_order_id, kind=kind)
    if bulk.status == BulkOrderStatus.DRAFT:
        raise NotSubmitted(bulk.id)
    if bulk.status != BulkOrderStatus.SUBMITTED:
        raise AlreadyDecided(bulk.id, bulk.status.value)
    if bulk.submitted_by_user_id == user.id:
        raise OwnSubmission(bulk.id)
    return bulk


async def still_member_submitter(session: AsyncSession, bulk: BulkOrder) -> User:
    """Who submitted the bulk order, in whose name it is ordered: still an active member of
    the organisation, else 409 (someone else must submit it again)."""
    submitter = await session.get(User, bulk.submitted_by_user_id)
    try:
        if submitter is None or not submitter.is_active:
            raise OrganizationNotFound(bulk.organization_id)
        await member_organization(
            session, user=submitter, organization_id=bulk.organization_id, allow_operator=False
        )
    except OrganizationNotFound:
        raise SubmitterLeft(bulk.id) from None
    return submitter


def _order_request(bulk: BulkOrder) -> PlaceOrderRequest:
    """The order a submitted bulk order asks for (submitting stored every field)."""
    return PlaceOrderRequest(
        shipping_address=ShippingAddressIn(
            name=bulk.ship_to_name or "",
            phone=bulk.ship_to_phone or "",
            county_code=bulk.ship_to_county_code or "",
            detail=bulk.ship_to_detail or "",
        ),
        payment_method=(bulk.payment_method or PaymentMethod.BANK_TRANSFER).value,
        organization_id=bulk.organization_id,
        po_number=bulk.po_number,
        lines=[OrderLineIn(sku_id=sku_id, quantity=quantity) for sku_id, quantity in _items(bulk)],
    )


async def approve(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    bulk_order_id: int,
    timeouts: PaymentTimeouts,
) -> OrderOut:
    """Approve a submitted bulk order: its order is placed in the submitter's name for the
    organisation, with its PO number, through checkout (prices and stock checked again, stock
    reserved, payment opened, expiry scheduled), and the order returned as POST /orders
    returns it. Approvers and admins other than the submitter (403 for the submitter).

    All or nothing: out of stock (409 `insufficient_stock`) or any other refusal leaves the
    bulk order submitted and nothing reserved. Two approvals at once: the bulk order's row
    lock lets one in; the other then finds it approved (409 `bulk_order_already_decided`)."""
    organization = await acting_organization(session, user, organization_id, DECIDING_ROLES)
    async with session.begin_nested():
        bulk = await deciding(session, user, organization.id, bulk_order_id)
        submitter = await still_member_submitter(session, bulk)
        try:
            order, created = await checkout_service.place_order(
                session,
                buyer=submitter,
                idempotency_key=order_key(bulk.id),
                request=_order_request(bulk),
                timeouts=timeouts,
            )
        except DomainError as exc:
            raise _by_row(exc, bulk.lines) from None
        if not created:  # an order with this key exists: this list was ordered already
            raise AlreadyDecided(bulk.id, BulkOrderStatus.APPROVED.value)
        placed = {
            line.sku_id: line for fulfillment in order.fulfillments for line in fulfillment.lines
        }
        for line in bulk.lines:
            if line.sku_id in placed:
                line.unit_price_fen = placed[line.sku_id].unit_price_fen
                line.line_total_fen = placed[line.sku_id].line_total_fen
        bulk.status = BulkOrderStatus.APPROVED
        bulk.approver_user_id = user.id
        bulk.decided_at = utcnow()
        bulk.order_id = order.id
        bulk.goods_fen = order.goods_fen
        bulk.shipping_fen = order.shipping_fen
        await session.flush()
    return order


def check_comment(raw: str) -> str:
    comment = raw.strip()
    if not comment:
        raise InvalidComment("required")
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidComment(f"at most {COMMENT_MAX_LENGTH} characters")
    if has_control_characters(comment, multiline=True):
        raise InvalidComment("contains control characters")
    return comment


async def decline(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    bulk_order_id: int,
    comment: str,
    kind: BulkOrderKind,
) -> BulkOrder:
    """Reject a submitted bulk order or gift with a comment saying why; nothing is ordered.
    Approvers and admins other than the submitter."""
    await member_organization(
        session,
        user=user,
        organization_id=organization_id,
        roles=DECIDING_ROLES,
        allow_operator=False,
    )
    checked = check_comment(comment)
    bulk = await deciding(session, user, organization_id, bulk_order_id, kind=kind)
    bulk.status = BulkOrderStatus.REJECTED
    bulk.approver_user_id = user.id
    bulk.decided_at = utcnow()
    bulk.comment = checked
    await session.flush()
    return bulk


async def reject(
    session: AsyncSession, *, user: User, organization_id: int, bulk_order_id: int, comment: str
) -> BulkOrderOut:
    """Reject a submitted bulk order with a comment saying why; nothing is ordered."""
    bulk = await decline(
        session,
        user=user,
        organization_id=organization_id,
        bulk_order_id=bulk_order_id,
        comment=comment,
        kind=BulkOrderKind.BULK,
    )
    return bulk_order_view(bulk, bulk.lines)
