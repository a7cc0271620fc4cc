"""Every step after the request: the supplier's answer (or the deadline's), the buyer's
escalation and return parcel, the supplier's receipt, the operator's decision and payout.

Locks are taken as payments take them: the order row first, then the request, and the
refund (app.payment) locks the order and its payment again in the same transaction. So two
steps on one order, or a step and an operator's refund, run one after the other, and the
second sees what the first did: quantities never pass what was bought minus refunded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.aftersales import repository
from app.aftersales.errors import (
    AfterSalesLineBusy,
    AfterSalesNotFound,
    AfterSalesQuantityExceeded,
    InvalidAfterSalesTransition,
)
from app.aftersales.models import AfterSalesRequest, RequestKind, RequestStatus
from app.aftersales.service.checks import check_bank_reference, check_reason, check_return
from app.aftersales.service.notices import Audience, Step, notify
from app.audit import service as audit
from app.core.clock import utcnow
from app.core.fields import MAX_ID
from app.order import repository as order_repository
from app.order import service as order_service
from app.order.models import Order, PaymentMethod
from app.payment import service as payment_service
from app.payment.errors import PaymentNotRefundable, RefundExceedsPayment

REFUND_REASON_MAX_LENGTH = 500


async def _locked(session: AsyncSession, request_id: int) -> tuple[AfterSalesRequest, Order]:
    """The request and its order, both locked (order first); 404 if there is no such request."""
    order_id = (
        await repository.order_id_of(session, request_id) if 1 <= request_id <= MAX_ID else None
    )
    if order_id is None:
        raise AfterSalesNotFound(request_id)
    order = await order_service.get_order(session, order_id, for_update=True)
    request = await repository.get_request(session, request_id, for_update=True)
    if request is None:
        raise AfterSalesNotFound(request_id)
    return request, order


async def _as_supplier(
    session: AsyncSession, user: User, request_id: int, cooperative_id: int | None
) -> tuple[AfterSalesRequest, Order]:
    """A request to a supplier the user acts for (of `cooperative_id`, when a page names one)."""
    request, order = await _locked(session, request_id)
    if (
        cooperative_id is not None and request.cooperative_id != cooperative_id
    ) or not await order_repository.is_cooperative_member(session, user.id, request.cooperative_id):
        raise AfterSalesNotFound(request_id)
    return request, order


async def _as_buyer(
    session: AsyncSession, user: User, request_id: int, order_id: int | None
) -> tuple[AfterSalesRequest, Order]:
    """The user's own request (about `order_id`, when a page names one)."""
    request, order = await _locked(session, request_id)
    if request.buyer_user_id != user.id or (order_id is not None and request.order_id != order_id):
        raise AfterSalesNotFound(request_id)
    return request, order


def _require(request: AfterSalesRequest, action: str, *allowed: RequestStatus) -> None:
    if request.status not in allowed:
        raise InvalidAfterSalesTransition(request.status.value, action)


async def _record(
    session: AsyncSession,
    request: AfterSalesRequest,
    action: str,
    actor: User | None,
    before: RequestStatus,
    *,
    reason: str | None = None,
    **after: object,
) -> None:
    await audit.record(
        session,
        actor_user_id=actor.id if actor is not None else None,
        action=f"aftersales.{action}",
        entity_kind="after_sales_request",
        entity_id=request.id,
        before={"status": before.value},
        after={"status": request.status.value, **after},
        reason=reason,
    )


async def _refund(
    session: AsyncSession,
    request: AfterSalesRequest,
    order: Order,
    actor: User | None,
    *,
    bank_reference: str | None = None,
) -> None:
    """Through the order's payment: Stripe at once (the outbox asks Stripe; the ledger's
    negative entries follow its confirmation), a bank transfer once the operator has paid it
    back and gives the transfer's reference. Until then the request waits, accepted."""
    # Units refunded meanwhile (a cancellation, an operator's refund) are not refunded twice:
    # checked here for both methods, under the order's lock, before anything changes.
    by_id = {line.id: line for line in order.lines}
    beyond = {
        f"lines.{i}.quantity": "more than is left to refund"
        for i, asked in enumerate(request.lines)
        if asked.quantity
        > by_id[asked.order_line_id].quantity - by_id[asked.order_line_id].refunded_quantity
    }
    if beyond:
        raise AfterSalesQuantityExceeded(beyond)
    if order.payment_method == PaymentMethod.BANK_TRANSFER and bank_reference is None:
        request.status = RequestStatus.ACCEPTED
        await session.flush()
        await notify(session, request.id, Step.PAYOUT_DUE, Audience.OPERATORS)
        return
    reason = f"售后 #{request.id}：{request.reason}"[:REFUND_REASON_MAX_LENGTH]
    refund = await payment_service.refund(
        session,
        order_id=order.id,
        lines=[(line.order_line_id, line.quantity) for line in request.lines],
        reason=reason,
        actor=actor,
    )
    request.status = RequestStatus.REFUNDED
    request.refund_id = refund.id
    request.refund_bank_reference = bank_reference
    request.refunded_at = utcnow()
    await session.flush()
    # The buyer hears of the refund from the payment itself (app.order.jobs).
    await notify(session, request.id, Step.REFUNDED, Audience.SUPPLIER)


async def _accepted(
    session: AsyncSession, request: AfterSalesRequest, order: Order, actor: User | None
) -> None:
    """Accepted (by the supplier, the deadline or the operator): a return waits for the
    parcel; anything else is refunded."""
    if request.kind == RequestKind.RETURN_AND_REFUND and request.received_at is None:
        request.status = RequestStatus.AWAITING_RETURN
        await session.flush()
        return
    await _refund(session, request, order, actor)


async def accept(
    session: AsyncSession,
    *,
    user: User,
    request_id: int,
    reason: str | None = None,
    cooperative_id: int | None = None,
) -> AfterSalesRequest:
    """The supplier accepts a request it has not answered (before or after its deadline).
    (Every step refuses before it changes anything: a refusal leaves the request as it was.)"""
    checked = check_reason(reason) if reason and reason.strip() else None
    request, order = await _as_supplier(session, user, request_id, cooperative_id)
    _require(request, "accepted", RequestStatus.REQUESTED)
    before = request.status
    await _accepted(session, request, order, user)
    request.supplier_reason = checked
    request.answered_at = utcnow()
    await notify(session, request.id, Step.ACCEPTED, Audience.BUYER)
    await _record(session, request, "accept", user, before, reason=checked)
    return request


async def reject(
    session: AsyncSession,
    *,
    user: User,
    request_id: int,
    reason: str,
    cooperative_id: int | None = None,
) -> AfterSalesRequest:
    """The supplier refuses, with a reason, before the deadline (after it, silence has
    already counted as acceptance)."""
    checked = check_reason(reason)
    request, _order = await _as_supplier(session, user, request_id, cooperative_id)
    _require(request, "rejected", RequestStatus.REQUESTED)
    now = utcnow()
    if now > request.deadline_at:
        raise InvalidAfterSalesTransition("past its deadline", "rejected")
    before = request.status
    request.status = RequestStatus.REJECTED
    request.supplier_reason = checked
    request.answered_at = now
    await session.flush()
    await notify(session, request.id, Step.REJECTED, Audience.BUYER)
    await _record(session, request, "reject", user, before, reason=checked)
    return request


async def auto_accept(
    session: AsyncSession, request_id: int, *, now: datetime | None = None
) -> bool:
    """The job: a request still unanswered at its deadline is accepted. False when there
    was nothing to do (answered meanwhile, or not due yet)."""
    try:
        request, order = await _locked(session, request_id)
    except AfterSalesNotFound:
        return False
    if request.status != RequestStatus.REQUESTED or (now or utcnow()) < request.deadline_at:
        return False
    before = request.status
    request.answered_at = now or utcnow()
    try:
        await _accepted(session, request, order, None)
    except (AfterSalesQuantityExceeded, PaymentNotRefundable, RefundExceedsPayment):
        # The units went back meanwhile (the order was cancelled, or an operator refunded
        # them): nothing is left to refund, and a job that fails would only be retried.
        request.status = RequestStatus.CLOSED
        await session.flush()
        await _record(session, request, "auto_close", None, before, reason="nothing left to refund")
        return True
    request.auto_accepted = True
    await notify(session, request.id, Step.AUTO_ACCEPTED, Audience.BUYER, Audience.SUPPLIER)
    await _record(session, request, "auto_accept", None, before)
    return True


async def escalate(
    session: AsyncSession,
    *,
    user: User,
    request_id: int,
    reason: str | None = None,
    order_id: int | None = None,
) -> AfterSalesRequest:
    """The buyer takes a rejection to an operator (unless a newer request holds its lines)."""
    request, _order = await _as_buyer(session, user, request_id, order_id)
    _require(request, "escalated", RequestStatus.REJECTED)
    checked = check_reason(reason) if reason and reason.strip() else None
    busy = await repository.open_lines(session, [line.order_line_id for line in request.lines])
    if busy:
        raise AfterSalesLineBusy({"lines": "a newer request holds these lines"})
    before = request.status
    request.status = RequestStatus.ESCALATED
    request.escalated_at = utcnow()
    await session.flush()
    await notify(session, request.id, Step.ESCALATED, Audience.OPERATORS, Audience.SUPPLIER)
    await _record(session, request, "escalate", user, before, reason=checked)
    return request


async def decide(
    session: AsyncSession, *, operator: User, request_id: int, outcome: str, reason: str
) -> AfterSalesRequest:
    """The operator's final word on an escalated request: refund (as an acceptance) or
    reject (closed)."""
    checked = check_reason(reason)
    request, order = await _locked(session, request_id)
    _require(request, "decided", RequestStatus.ESCALATED)
    before = request.status
    if outcome == "refund":
        await _accepted(session, request, order, operator)
        step = Step.DECIDED_REFUND
    else:
        request.status = RequestStatus.CLOSED
        step = Step.DECIDED_REJECT
    request.operator_user_id = operator.id
    request.operator_reason = checked
    request.decided_at = utcnow()
    await session.flush()
    await notify(session, request.id, step, Audience.BUYER, Audience.SUPPLIER)
    await _record(session, request, "decide", operator, before, reason=checked, outcome=outcome)
    return request


async def send_return(
    session: AsyncSession,
    *,
    user: User,
    request_id: int,
    carrier: str,
    tracking_number: str,
    order_id: int | None = None,
) -> AfterSalesRequest:
    """The buyer's parcel back: carrier (of the list suppliers ship with) and tracking."""
    name, number = check_return(carrier, tracking_number)
    request, _order = await _as_buyer(session, user, request_id, order_id)
    _require(request, "sent back", RequestStatus.AWAITING_RETURN)
    request.return_carrier = name
    request.return_tracking_number = number
    request.returned_at = utcnow()
    await session.flush()
    await notify(session, request.id, Step.RETURN_SENT, Audience.SUPPLIER)
    await _record(
        session, request, "return", user, request.status, carrier=name, tracking_number=number
    )
    return request


async def confirm_received(
    session: AsyncSession, *, user: User, request_id: int, cooperative_id: int | None = None
) -> AfterSalesRequest:
    """The supplier has the returned goods back: the refund follows."""
    request, order = await _as_supplier(session, user, request_id, cooperative_id)
    _require(request, "received", RequestStatus.AWAITING_RETURN)
    if request.return_tracking_number is None:
        raise InvalidAfterSalesTransition("waiting for the buyer's parcel", "received")
    before = request.status
    await _refund(session, request, order, user)
    request.received_at = utcnow()
    await session.flush()
    await notify(session, request.id, Step.RECEIVED, Audience.BUYER)
    await _record(session, request, "received", user, before)
    return request


async def record_payout(
    session: AsyncSession, *, operator: User, request_id: int, bank_reference: str
) -> AfterSalesRequest:
    """The operator paid an accepted request of a bank-transfer order back: the refund is
    recorded with the transfer's reference, and the ledger goes down with it."""
    reference = check_bank_reference(bank_reference)
    request, order = await _locked(session, request_id)
    _require(request, "paid out", RequestStatus.ACCEPTED)
    before = request.status
    await _refund(session, request, order, operator, bank_reference=reference)
    await _record(session, request, "payout", operator, before, bank_reference=reference)
    return request
