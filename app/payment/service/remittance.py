"""A bank transfer's buyer reports the remittance (我已汇款), optionally with a photo or PDF of
the slip; the operator reads the slip beside the confirmation form."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.core.clock import utcnow
from app.core.images import MAX_UPLOAD_BYTES, PDF_MEDIA_TYPE, image_or_pdf
from app.core.storage import MediaStorage
from app.jobs.media import discard_after_commit
from app.order import service as order_service
from app.order.models import OrderStatus, PaymentMethod
from app.payment import repository
from app.payment.errors import PaymentNotFound, RemittanceNotExpected, RemittanceSlipNotFound
from app.payment.models import Payment
from app.payment.service.opening import PAYABLE

MAX_SLIP_BYTES = MAX_UPLOAD_BYTES  # 8 MB, images and PDFs alike
SLIP_FIELD = "slip"


def slip_type(payment: Payment) -> str | None:
    """ "pdf" or "image" for a payment with a remittance slip, else None."""
    key = payment.remittance_slip_key
    if key is None:
        return None
    return "pdf" if key.endswith(".pdf") else "image"


async def report_remittance(
    session: AsyncSession,
    *,
    buyer: User,
    order_id: int,
    slip: bytes | None,
    media: MediaStorage,
) -> Payment:
    """The buyer says the transfer is sent. Only for the buyer's own unpaid bank-transfer order
    (anyone else's is 404; another method, paid or cancelled: 409 `remittance_not_expected`).
    A slip is checked first (422 on `slip`: empty, over 8 MB, neither image nor PDF) and
    nothing is recorded without it passing; a new slip replaces the one before. The time of
    the first report is kept. Nothing is paid until an operator confirms the remittance."""
    order = await order_service.get_buyer_order(
        session, buyer_id=buyer.id, order_id=order_id, for_update=True
    )
    payment = await repository.payment_for_order(session, order.id, for_update=True)
    if payment is None:
        raise PaymentNotFound(order_id)
    if payment.method != PaymentMethod.BANK_TRANSFER:
        raise RemittanceNotExpected("it is not paid by bank transfer")
    if order.status != OrderStatus.PENDING_PAYMENT or payment.status not in PAYABLE:
        raise RemittanceNotExpected("it is paid or cancelled")
    if slip is not None:
        # Pillow decodes and re-encodes an image: off the event loop.
        content, extension = await asyncio.to_thread(
            image_or_pdf, slip, field=SLIP_FIELD, max_bytes=MAX_SLIP_BYTES
        )
        key = f"remittances/{order.id}/{uuid.uuid4().hex}.{extension}"
        await media.save(key, content)
        if payment.remittance_slip_key is not None:
            # The slip before goes once this commits: before, it could be the only copy.
            await discard_after_commit(session, [payment.remittance_slip_key])
        payment.remittance_slip_key = key
    if payment.remitted_at is None:
        payment.remitted_at = utcnow()
    await session.flush()
    return payment


@dataclass(frozen=True)
class SlipFile:
    content: bytes
    media_type: str
    filename: str


async def _slip(payment: Payment | None, order_id: int, media: MediaStorage) -> SlipFile:
    if payment is None or payment.remittance_slip_key is None:
        raise RemittanceSlipNotFound(order_id)
    try:
        content = await media.read(payment.remittance_slip_key)
    except FileNotFoundError as exc:  # storage lost it: as good as none
        raise RemittanceSlipNotFound(order_id) from exc
    is_pdf = slip_type(payment) == "pdf"
    return SlipFile(
        content=content,
        media_type=PDF_MEDIA_TYPE if is_pdf else "image/jpeg",
        filename=f"remittance-{order_id}.{'pdf' if is_pdf else 'jpg'}",
    )


async def buyer_remittance_slip(
    session: AsyncSession, *, buyer: User, order_id: int, media: MediaStorage
) -> SlipFile:
    """The slip the buyer uploaded for their own order (404 for anyone else's, or none)."""
    order = await order_service.get_buyer_order(session, buyer_id=buyer.id, order_id=order_id)
    return await _slip(await repository.payment_for_order(session, order.id), order_id, media)


async def remittance_slip(session: AsyncSession, *, order_id: int, media: MediaStorage) -> SlipFile:
    """Any order's slip, for the operator who confirms the transfer."""
    order = await order_service.get_order(session, order_id)
    return await _slip(await repository.payment_for_order(session, order.id), order_id, media)
