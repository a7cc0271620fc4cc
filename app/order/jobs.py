"""Outbox jobs of the order domain: supplier notifications (mail, signed webhook), auto-complete."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from app.core.mail import OutgoingMail
from app.core.money import format_yuan
from app.jobs.registry import JobContext, job
from app.order import service
from app.order.errors import WebhookUrlRefused
from app.order.schemas import SupplierFulfillmentOut

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
