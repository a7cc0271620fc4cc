"""Outbox jobs of the order domain: supplier notifications (mail, signed webhook), buyers'
mail, auto-complete."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from app.config import Settings
from app.core.mail import OutgoingMail
from app.core.money import format_yuan
from app.jobs.registry import JobContext, job
from app.order import service
from app.order.errors import WebhookUrlRefused
from app.order.schemas import OrderDetail, SupplierFulfillmentOut

log = logging.getLogger(__name__)


class SupplierWebhookFailed(RuntimeError):
    """The supplier's endpoint did not answer 2xx; the runner retries with backoff."""


def _mail_text(fulfillment: SupplierFulfillmentOut, portal_url: str) -> str:
    lines = "\n".join(
        f"  · {line.title}（{line.sku_name}，{line.sku_code}）× {line.quantity}"
        f"  {format_yuan(line.line_total_fen)}"
        for line in fulfillment.lines
    )
    address = fulfillment.ship_to
    return (
        f"{fulfillment.cooperative_name}：\n\n"
        f"您有一笔新的已付款订单待发货，订单号 {fulfillment.order_number}。\n\n"
        f"商品：\n{lines}\n\n"
        f"货款：{format_yuan(fulfillment.goods_fen)}　"
        f"运费：{format_yuan(fulfillment.shipping_fen)}\n"
        f"收货人：{address.name}　{address.phone}\n"
        f"收货地址：{address.place_name}{address.detail}\n\n"
        f"请登录供应商后台接单并填写快递单号：{portal_url}\n\n"
        "丰收 · 消费帮扶商城\n"
    )


def _gift_mail_text(fulfillment: SupplierFulfillmentOut, parcels: int, portal_url: str) -> str:
    lines = "\n".join(
        f"  · {line.title}（{line.sku_name}，{line.sku_code}）× {line.quantity}"
        for line in fulfillment.lines
    )
    return (
        f"{fulfillment.cooperative_name}：\n\n"
        f"您有一笔新的已付款工会慰问品订单待发货，订单号 {fulfillment.order_number}，"
        f"共 {parcels} 个包裹，每位收件人一个。\n\n"
        f"每个包裹：\n{lines}\n\n"
        "请登录供应商后台下载发货表（含每位收件人的地址），填写快递公司和快递单号后上传，"
        f"即可批量发货：{portal_url}\n\n"
        "丰收 · 消费帮扶商城\n"
    )


@job(service.NOTIFY_SUPPLIER_JOB)
async def notify_supplier(ctx: JobContext, payload: dict[str, Any]) -> None:
    """E-mail the supplier's admins about a new paid fulfilment (or, for a gift order, about
    all its parcels at once: `parcel_ids`); queue the webhook of each if it has one. Mails
    carry a stable message key, so a retry is recognisable as the same message."""
    fulfillment_id = int(payload["fulfillment_id"])
    parcel_ids = [int(parcel_id) for parcel_id in payload.get("parcel_ids", ())]
    notice = await service.supplier_notice(ctx.session, fulfillment_id)
    if notice is None:
        return
    fulfillment = notice.fulfillment
    portal_url = (
        f"{ctx.settings.public_base_url.rstrip('/')}/coop/{fulfillment.cooperative_id}/fulfillments"
    )
    text = (
        _gift_mail_text(fulfillment, len(parcel_ids), portal_url)
        if parcel_ids
        else _mail_text(fulfillment, portal_url)
    )
    for email in notice.admin_emails:
        digest = hashlib.sha256(email.encode()).hexdigest()[:12]
        await ctx.mailer.send(
            OutgoingMail(
                to=email,
                subject=f"新订单待发货：{fulfillment.order_number}",
                text=text,
                message_key=f"fulfillment-{fulfillment.id}-{digest}",
            )
        )
    if notice.webhook_url:
        for parcel_id in parcel_ids or [fulfillment.id]:
            await service.schedule_supplier_webhook(ctx.session, parcel_id)


@job(service.SUPPLIER_WEBHOOK_JOB)
async def send_supplier_webhook(ctx: JobContext, payload: dict[str, Any]) -> None:
    """POST the new fulfilment to the supplier's URL, signed (see service.sign_webhook);
    anything but a 2xx answer fails the job, and the outbox retries it."""
    fulfillment_id = int(payload["fulfillment_id"])
    notice = await service.supplier_notice(ctx.session, fulfillment_id)
    if notice is None or not notice.webhook_url:
        return
    if not notice.webhook_secret:
        # An unsigned notice could be forged by anyone; the supplier must set a secret first.
        log.warning("supplier webhook for fulfilment %s skipped: no secret", fulfillment_id)
        return
    try:
        # Checked again now: the host's DNS may have changed since the URL was saved.
        target = await service.check_webhook_url(
            notice.webhook_url, allow_private=ctx.settings.supplier_webhook_allow_private
        )
    except WebhookUrlRefused as exc:
        log.warning("supplier webhook for fulfilment %s not sent: %s", fulfillment_id, exc.message)
        return
    body = notice.webhook_body()
    signature = service.sign_webhook(notice.webhook_secret, int(time.time()), body)
    response = await ctx.http.post(
        target.url,
        content=body,
        headers={
            "Host": target.host,
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Fengshou-Webhook/1",
            service.SIGNATURE_HEADER: signature,
        },
        # TLS checks the certificate against the URL's host, not the pinned address.
        extensions={"sni_hostname": target.host.rsplit(":", 1)[0]} if target.tls else None,
    )
    if not 200 <= response.status_code < 300:
        raise SupplierWebhookFailed(
            f"{notice.webhook_url} answered {response.status_code} for fulfilment {fulfillment_id}"
        )


@job(service.COMPLETE_FULFILLMENT_JOB)
async def complete_fulfillment(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Days after shipping, a parcel the buyer did not confirm counts as delivered."""
    await service.complete_shipped_fulfillment(ctx.session, int(payload["fulfillment_id"]))


# ---------------------------------------------------------------------------------------------
# Buyers' mail


def _goods_lines(order: OrderDetail) -> str:
    return "\n".join(
        f"  · {line.title}（{line.sku_name}）× {line.quantity}  {format_yuan(line.line_total_fen)}"
        for fulfillment in order.fulfillments
        for line in fulfillment.lines
    )


def _buyer_mail(
    notice: service.BuyerNotice, event: str, payload: dict[str, Any], settings: Settings
) -> tuple[str, str] | None:
    """(subject, text) of the buyer's mail about `event`; None when there is nothing to say
    (the parcel or refund it names is not the order's)."""
    order = notice.order
    link = f"{settings.public_base_url.rstrip('/')}/orders/{order.id}"
    greeting = f"{notice.display_name}，您好：\n\n"
    footer = f"\n订单详情：{link}\n\n丰收 · 消费帮扶商城\n"
    if event == service.BuyerEvent.PLACED:
        if order.payment_method == "bank_transfer":
            how = (
                f"请按订单金额 {format_yuan(order.total_fen)} 对公转账：\n"
                f"  户名：{settings.bank_account_name}\n"
                f"  开户行：{settings.bank_name}\n"
                f"  账号：{settings.bank_account_number}\n"
                f"  付款参考号（请填在附言中）：{payload.get('bank_reference', '')}\n"
            )
        else:
            how = f"请在订单页面用银行卡或钱包付款 {format_yuan(order.total_fen)}。\n"
        return (
            f"订单已提交：{order.number}",
            f"{greeting}您的订单 {order.number} 已提交，共 {len(order.fulfillments)} 个包裹：\n"
            f"{_goods_lines(order)}\n"
            f"运费：{format_yuan(order.shipping_fen)}　合计：{format_yuan(order.total_fen)}\n\n"
            f"{how}逾期未付款，订单将自动取消。\n{footer}",
        )
    if event == service.BuyerEvent.PAID:
        return (
            f"已收到付款：{order.number}",
            f"{greeting}我们已收到订单 {order.number} 的付款 {format_yuan(order.total_fen)}，"
            "各供应商将尽快发货。您的每一笔购买都计入脱贫县的帮扶成效。\n"
            f"{footer}",
        )
    if event == service.BuyerEvent.SHIPPED:
        parcel = next(
            (f for f in order.fulfillments if f.id == payload.get("fulfillment_id")), None
        )
        if parcel is None:
            return None
        follow = f"\n物流查询：{parcel.tracking_url}\n" if parcel.tracking_url else "\n"
        return (
            f"包裹已发货：{order.number}",
            f"{greeting}{parcel.cooperative_name} 已发出订单 {order.number} 的包裹：\n"
            f"  快递：{parcel.carrier}　单号：{parcel.tracking_number}\n{follow}"
            "收到后请在订单页面确认收货。\n"
            f"{footer}",
        )
    if event == service.BuyerEvent.REFUNDED:
        amount = int(payload.get("amount_fen", 0))
        return (
            f"退款已完成：{order.number}",
            f"{greeting}订单 {order.number} 的退款 {format_yuan(amount)} 已退回原付款方式"
            "（对公转账的退款由平台转回付款账户）。\n"
            f"{footer}",
        )
    return None


@job(service.BUYER_NOTICE_JOB)
async def notify_buyer(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Mail the buyer about their order: placed, paid, a parcel shipped, a refund made. The
    message key names the event, so that a retry is recognisable as the same message."""
    event = str(payload["event"])
    notice = await service.buyer_notice(ctx.session, int(payload["order_id"]))
    if notice is None:
        return
    mail = _buyer_mail(notice, event, payload, ctx.settings)
    if mail is None:
        return
    subject, text = mail
    about = payload.get("fulfillment_id") or payload.get("refund_id") or ""
    await ctx.mailer.send(
        OutgoingMail(
            to=notice.email,
            subject=subject,
            text=text,
            message_key=f"buyer-{event}-{notice.order.id}-{about}",
        )
    )
