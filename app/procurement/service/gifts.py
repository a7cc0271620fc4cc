"""Trade-union gift orders (工会慰问品): the same SKUs for every recipient of an uploaded list,
checked row by row, then submitted and approved like a bulk order; the order placed has one
payment and a parcel per recipient and supplier, each tracked on its own."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.checkout import service as checkout_service
from app.checkout.schemas import OrderOut
from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound
from app.core.fields import parse_id
from app.core.money import format_yuan
from app.core.sheets import read_table
from app.order import service as order_service
from app.order.models import OrderStatus, PaymentMethod
from app.order.schemas import FulfillmentOut, ShippingAddressIn
from app.order.service import PaymentTimeouts
from app.organization.access import member_organization
from app.procurement import exports, repository
from app.procurement.errors import (
    AlreadyDecided,
    BulkOrderInvalid,
    BulkOrderNotFound,
    InvalidGiftItems,
    NotADraft,
)
from app.procurement.exports import Download
from app.procurement.models import BulkOrder, BulkOrderKind, BulkOrderStatus
from app.procurement.schemas import GiftOrderOut, GiftOrderPage, RejectRequest, SubmitRequest
from app.procurement.service.decisions import (
    deciding,
    decline,
    locked,
    still_member_submitter,
)
from app.procurement.service.drafts import (
    BUYING_ROLES,
    DECIDING_ROLES,
    acting_organization,
    check_upload_size,
    clean_filename,
    delete_draft,
    draft,
    parse_statuses,
)
from app.procurement.service.gift_checking import (
    MAX_QUANTITY_EACH,
    RECIPIENT_COLUMNS,
    CheckedGift,
    CheckedRecipient,
    GiftItem,
    check_gift,
    recipient_of,
)
from app.procurement.service.gift_views import gift_order_view, gift_summary_view

GIFT = BulkOrderKind.GIFT


# The gift form's SKU lists show this many SKUs on sale (a union picks a box or two).
SKU_CHOICES = 300


@dataclass(frozen=True)
class SkuChoice:
    sku_id: int
    label: str


async def sku_choices(session: AsyncSession) -> list[SkuChoice]:
    """SKUs on sale to pick a gift from: product, SKU, price and supplier in one label."""
    rows = await repository.sellable_skus(session, limit=SKU_CHOICES)
    return [
        SkuChoice(sku_id, f"{title} · {sku_name} · {format_yuan(price)} · {supplier}")
        for sku_id, title, sku_name, price, _stock, supplier in rows
    ]


def order_key(gift_order_id: int) -> str:
    """The Idempotency-Key of the order a gift places: one order per gift."""
    return f"gift-order-{gift_order_id}"


def check_items(sku_ids: Sequence[str], quantities: Sequence[str]) -> list[GiftItem]:
    """The gift's SKUs from the form: 1 to 5 different SKU ids, each with the units every
    recipient gets (one `quantity_each` for all, or one per SKU); else 422 naming the field."""
    problems: dict[str, str] = {}
    if not 1 <= len(sku_ids) <= order_service.MAX_GIFT_SKUS:
        problems["sku_id"] = f"from 1 to {order_service.MAX_GIFT_SKUS} SKUs"
    if len(quantities) not in {1, len(sku_ids)}:
        problems["quantity_each"] = "one for every SKU, or one for all"
    if problems:
        raise InvalidGiftItems(problems)
    items: list[GiftItem] = []
    seen: set[int] = set()
    for index, raw_sku in enumerate(sku_ids):
        raw_quantity = quantities[index] if len(quantities) > 1 else quantities[0]
        # ASCII digits only: "²" and "①" pass str.isdigit() and then fail int().
        sku_id = parse_id(raw_sku.strip()) or 0
        quantity = parse_id(raw_quantity.strip()) or 0
        if sku_id < 1:
            problems[f"sku_id.{index}"] = "not a SKU id"
        elif sku_id in seen:
            problems[f"sku_id.{index}"] = "this SKU is already in the gift"
        if not 1 <= quantity <= MAX_QUANTITY_EACH or len(raw_quantity.strip()) > 4:
            problems[f"quantity_each.{index}"] = f"a whole number from 1 to {MAX_QUANTITY_EACH}"
        seen.add(sku_id)
        items.append(GiftItem(sku_id, quantity))
    if problems:
        raise InvalidGiftItems(problems)
    return items


async def _read_recipients(data: bytes, filename: str | None) -> list[CheckedRecipient]:
    """The uploaded list's recipients, or 4xx saying why not (app.core.sheets' checks: neither
    CSV nor XLSX, empty, over 1,000 rows, a zip bomb). Parsing runs in a thread."""
    check_upload_size(data)
    table = await asyncio.to_thread(
        read_table,
        data,
        filename,
        required=RECIPIENT_COLUMNS,
        max_rows=order_service.MAX_RECIPIENTS,
        field="recipients",
    )
    return [recipient_of(row) for row in table.rows]


async def _store(session: AsyncSession, gift: BulkOrder, checked: CheckedGift) -> None:
    """The check's outcome on the gift, its SKUs and recipients written anew (batched)."""
    gift.valid = checked.valid
    gift.problem = checked.problem
    gift.line_count = len(checked.items)
    gift.recipient_count = len(checked.recipients)
    gift.error_count = checked.error_count
    gift.goods_fen = checked.goods_fen
    gift.shipping_fen = checked.shipping_fen
    gift.checked_at = utcnow()
    session.add(gift)
    await session.flush()
    await repository.delete_lines(session, gift.id)
    await repository.delete_recipients(session, gift.id)
    await repository.add_lines(
        session, [{**item.columns(), "bulk_order_id": gift.id} for item in checked.items]
    )
    await repository.add_recipients(
        session,
        [{**recipient.columns(), "bulk_order_id": gift.id} for recipient in checked.recipients],
    )


async def _view(session: AsyncSession, gift: BulkOrder) -> GiftOrderOut:
    """The gift as stored, with each recipient's parcels once ordered."""
    stored = await repository.get_bulk_order(
        session, gift.organization_id, gift.id, with_lines=True, with_recipients=True, kind=GIFT
    )
    if stored is None:
        raise BulkOrderNotFound(gift.id)
    parcels: dict[int, list[FulfillmentOut]] = defaultdict(list)
    number = status = None
    if stored.order_id is not None:
        order = await order_service.get_order(session, stored.order_id)
        number, status = order.number, order.status.value
        for fulfillment in (await order_service.order_detail(session, order)).fulfillments:
            parcels[fulfillment.parcel_no].append(fulfillment)
    return gift_order_view(stored, parcels, number, status)


async def upload(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    sku_ids: Sequence[str],
    quantities: Sequence[str],
    data: bytes,
    filename: str | None,
) -> GiftOrderOut:
    """A new gift draft: the SKUs and units per recipient (as the form gave them: 422
    `invalid_gift_items`), and the recipients list checked row by row (name, phone, county,
    address, delivery by each supplier), priced; nothing is reserved. Buyers and admins of a
    verified organisation (anyone else: 404, before anything is read). An unreadable file is
    refused (4xx) and nothing is stored."""
    organization = await acting_organization(session, user, organization_id, BUYING_ROLES)
    items = check_items(sku_ids, quantities)
    recipients = await _read_recipients(data, filename)
    checked = await check_gift(session, items, recipients)
    gift = BulkOrder(
        organization_id=organization.id,
        kind=GIFT,
        status=BulkOrderStatus.DRAFT,
        created_by_user_id=user.id,
        source_filename=clean_filename(filename),
    )
    await _store(session, gift, checked)
    return await _view(session, gift)


def _stored_items(gift: BulkOrder) -> list[GiftItem]:
    return [GiftItem(line.sku_id or 0, line.quantity or 0) for line in gift.lines]


def _stored_recipients(gift: BulkOrder) -> list[CheckedRecipient]:
    return [
        CheckedRecipient(
            row=recipient.row,
            name=recipient.name,
            phone=recipient.phone,
            county_code=recipient.county_code,
            detail=recipient.detail,
        )
        for recipient in gift.recipients
    ]


async def replace_recipients(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    gift_order_id: int,
    data: bytes,
    filename: str | None,
) -> GiftOrderOut:
    """The draft's recipients replaced by a corrected list and checked afresh with its SKUs."""
    await acting_organization(session, user, organization_id, BUYING_ROLES)
    gift = await draft(session, organization_id, gift_order_id, with_lines=True, kind=GIFT)
    recipients = await _read_recipients(data, filename)
    checked = await check_gift(session, _stored_items(gift), recipients)
    gift.source_filename = clean_filename(filename)
    await _store(session, gift, checked)
    return await _view(session, gift)


async def recheck(
    session: AsyncSession, *, user: User, organization_id: int, gift_order_id: int
) -> GiftOrderOut:
    """The draft checked again now (stock, prices and suppliers' delivery areas change)."""
    await acting_organization(session, user, organization_id, BUYING_ROLES)
    gift = await locked(session, organization_id, gift_order_id, kind=GIFT)
    if gift.status != BulkOrderStatus.DRAFT:
        raise NotADraft(gift.id, gift.status.value)
    checked = await check_gift(session, _stored_items(gift), _stored_recipients(gift))
    await _store(session, gift, checked)
    return await _view(session, gift)


async def get_gift_order(
    session: AsyncSession, *, user: User, organization_id: int, gift_order_id: int
) -> GiftOrderOut:
    """One gift with its SKUs, recipients and parcels: members and operators (404 else)."""
    await member_organization(session, user=user, organization_id=organization_id)
    gift = await repository.get_bulk_order(session, organization_id, gift_order_id, kind=GIFT)
    if gift is None:
        raise BulkOrderNotFound(gift_order_id)
    return await _view(session, gift)


async def list_gift_orders(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> GiftOrderPage:
    """The organisation's gift orders, newest first, without recipients."""
    await member_organization(session, user=user, organization_id=organization_id)
    statuses = parse_statuses(status)
    page = min(max(page, 1), order_service.MAX_PAGE)
    per_page = min(max(per_page, 1), order_service.MAX_PER_PAGE)
    found, total = await repository.list_bulk_orders(
        session,
        organization_id,
        statuses=statuses,
        offset=(page - 1) * per_page,
        limit=per_page,
        kind=GIFT,
    )
    return GiftOrderPage(
        items=[gift_summary_view(gift) for gift in found], total=total, page=page, per_page=per_page
    )


async def delete_gift_draft(
    session: AsyncSession, *, user: User, organization_id: int, gift_order_id: int
) -> None:
    """A gift draft thrown away with its recipients; submitted ones stay (409)."""
    await delete_draft(
        session, user=user, organization_id=organization_id, bulk_order_id=gift_order_id, kind=GIFT
    )


# ---------------------------------------------------------------------------------------------
# Submission and decision


def _order_request(gift: BulkOrder) -> order_service.GiftOrderRequest:
    """The order a submitted gift asks for (submitting stored every field)."""
    return order_service.GiftOrderRequest(
        organization_id=gift.organization_id,
        items=tuple((item.sku_id, item.quantity_each) for item in _stored_items(gift)),
        recipients=tuple(
            order_service.GiftRecipient(
                number=recipient.row,
                name=recipient.name,
                phone=recipient.phone,
                county_code=recipient.county_code,
                detail=recipient.detail,
            )
            for recipient in gift.recipients
        ),
        payment_method=gift.payment_method or PaymentMethod.BANK_TRANSFER,
        po_number=gift.po_number,
        contact=ShippingAddressIn(
            name=gift.ship_to_name or "",
            phone=gift.ship_to_phone or "",
            county_code=gift.ship_to_county_code or "",
            detail=gift.ship_to_detail or "",
        ),
    )


async def submit(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    gift_order_id: int,
    request: SubmitRequest,
) -> GiftOrderOut:
    """A valid gift draft submitted for approval with its payment method, PO number and the
    organisation's contact address (checked as an order's), checked again now. Buyers and
    admins; a draft with problems: 409 (and it keeps the new report)."""
    organization = await acting_organization(session, user, organization_id, BUYING_ROLES)
    gift = await locked(session, organization.id, gift_order_id, kind=GIFT)
    if gift.status != BulkOrderStatus.DRAFT:
        raise NotADraft(gift.id, gift.status.value)
    contact, po_number = await order_service.check_delivery(
        session,
        shipping_address=request.shipping_address,
        po_number=request.po_number,
    )
    checked = await check_gift(session, _stored_items(gift), _stored_recipients(gift))
    await _store(session, gift, checked)
    if not checked.valid:
        raise BulkOrderInvalid(gift.id, checked.error_count, checked.problem)
    gift.status = BulkOrderStatus.SUBMITTED
    gift.submitted_by_user_id = user.id
    gift.submitted_at = utcnow()
    gift.payment_method = PaymentMethod(request.payment_method)
    gift.po_number = po_number
    gift.ship_to_name = contact.name
    gift.ship_to_phone = contact.phone
    gift.ship_to_county_code = contact.county.code
    gift.ship_to_detail = contact.detail
    await session.flush()
    return await _view(session, gift)


def _by_item_row(error: DomainError) -> DomainError:
    """An order error's `lines.{i}` fields named by the gift's SKU rows (`items.{row}`)."""
    renamed: dict[str, str] = {}
    for name, message in error.fields.items():
        parts = name.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit():
            name = f"items.{int(parts[1]) + 1}.{parts[2]}"
        renamed[name] = message
    error.fields = renamed
    return error


async def approve(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    gift_order_id: int,
    timeouts: PaymentTimeouts,
) -> OrderOut:
    """Approve a submitted gift: its order is placed in the submitter's name for the
    organisation (one payment; a parcel per recipient and supplier; prices, stock and delivery
    checked again; stock reserved), and returned as POST /orders returns one. Approvers and
    admins other than the submitter. All or nothing, as a bulk order's approval."""
    organization = await acting_organization(session, user, organization_id, DECIDING_ROLES)
    async with session.begin_nested():
        gift = await deciding(session, user, organization.id, gift_order_id, kind=GIFT)
        submitter = await still_member_submitter(session, gift)
        try:
            order, created = await checkout_service.place_gift_order(
                session,
                buyer=submitter,
                idempotency_key=order_key(gift.id),
                request=_order_request(gift),
                timeouts=timeouts,
            )
        except DomainError as exc:
            raise _by_item_row(exc) from None
        if not created:
            raise AlreadyDecided(gift.id, BulkOrderStatus.APPROVED.value)
        gift.status = BulkOrderStatus.APPROVED
        gift.approver_user_id = user.id
        gift.decided_at = utcnow()
        gift.order_id = order.id
        gift.goods_fen = order.goods_fen
        gift.shipping_fen = order.shipping_fen
        await session.flush()
    return order


async def reject(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    gift_order_id: int,
    request: RejectRequest,
) -> GiftOrderOut:
    """Reject a submitted gift with a comment; nothing is ordered."""
    gift = await decline(
        session,
        user=user,
        organization_id=organization_id,
        bulk_order_id=gift_order_id,
        comment=request.comment,
        kind=GIFT,
    )
    return await _view(session, gift)


# ---------------------------------------------------------------------------------------------
# Spreadsheets


async def recipients_xlsx(
    session: AsyncSession, *, user: User, organization_id: int, gift_order_id: int
) -> Download:
    """Each recipient's parcels with status and tracking number; members and operators."""
    gift = await get_gift_order(
        session, user=user, organization_id=organization_id, gift_order_id=gift_order_id
    )
    awaiting_payment = gift.order_status == OrderStatus.PENDING_PAYMENT.value
    return await asyncio.to_thread(
        exports.recipients_workbook, gift, awaiting_payment=awaiting_payment
    )


async def recipients_template(
    session: AsyncSession, *, user: User, organization_id: int, kind: str
) -> Download:
    """The empty recipients list, "xlsx" or "csv", for members (and operators)."""
    await member_organization(session, user=user, organization_id=organization_id)
    if kind not in {"xlsx", "csv"}:
        raise NotFound("No such template: xlsx or csv.")
    return exports.recipients_template(kind)
