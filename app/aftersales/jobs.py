"""Outbox jobs of after-sales: the deadline's automatic acceptance, the mail of each step, and
the discard of photos no request took."""

from __future__ import annotations

from typing import Any

from app.aftersales import repository, service
from app.aftersales.schemas import AfterSalesOut
from app.aftersales.service import Audience, Step
from app.core.mail import OutgoingMail
from app.core.money import format_yuan
from app.core.storage import media_storage
from app.jobs.registry import JobContext, job
from app.order import repository as order_repository

_WHAT: dict[Step, str] = {
    Step.REQUESTED: "买家提交了售后申请，请在截止时间前同意或拒绝（逾期视为同意）。",
    Step.ACCEPTED: "供应商已同意您的售后申请。",
    Step.AUTO_ACCEPTED: "供应商未在 48 小时内答复，售后申请已自动同意。",
    Step.REJECTED: "供应商拒绝了您的售后申请。如不同意，可在订单页面申请平台介入。",
    Step.ESCALATED: "买家对拒绝不服，已申请平台介入，运营人员将作出最终处理。",
    Step.RETURN_SENT: "买家已寄回商品，请收到后在供应商后台确认收货。",
    Step.RECEIVED: "供应商已确认收到退货，退款随即办理。",
    Step.DECIDED_REFUND: "平台已裁定退款（最终处理）。",
    Step.DECIDED_REJECT: "平台已裁定驳回售后申请（最终处理）。",
    Step.REFUNDED: "售后申请已退款，相应货款已从帮扶台账中冲减。",
    Step.PAYOUT_DUE: "一笔对公转账订单的售后申请已同意，请转账退款并登记转账参考号。",
}


def _text(view: AfterSalesOut, step: Step, link: str) -> str:
    lines = "\n".join(
        f"  · {line.title}（{line.sku_name}）× {line.quantity}" for line in view.lines
    )
    extra = ""
    if step == Step.REJECTED and view.supplier_reason:
        extra = f"拒绝理由：{view.supplier_reason}\n"
    if step in {Step.DECIDED_REFUND, Step.DECIDED_REJECT} and view.operator_reason:
        extra = f"处理说明：{view.operator_reason}\n"
    if step == Step.RETURN_SENT:
        extra = f"快递：{view.return_carrier}　单号：{view.return_tracking_number}\n"
    return (
        f"{_WHAT[step]}\n\n"
        f"订单号：{view.order_number}　售后单号：{view.id}\n"
        f"商品：\n{lines}\n金额：{format_yuan(view.amount_fen)}\n"
        f"申请理由：{view.reason}\n{extra}\n"
        f"详情：{link}\n\n丰收 · 消费帮扶商城\n"
    )


@job(service.NOTIFY_JOB)
async def notify(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Mail one side about a step of a request; the message key makes a retry recognisable."""
    request = await repository.get_request(ctx.session, int(payload["request_id"]))
    if request is None:
        return
    step = Step(str(payload["step"]))
    audience = Audience(str(payload["to"]))
    view = (await service.views(ctx.session, media_storage(ctx.settings.media_dir), [request]))[0]
    base = ctx.settings.public_base_url.rstrip("/")
    if audience == Audience.BUYER:
        buyer = await repository.user_email(ctx.session, request.buyer_user_id)
        recipients = [buyer[0]] if buyer else []
        link = f"{base}/orders/{request.order_id}"
    elif audience == Audience.SUPPLIER:
        recipients = await order_repository.supplier_admin_emails(
            ctx.session, request.cooperative_id
        )
        link = f"{base}/coop/{request.cooperative_id}/after-sales"
    else:
        recipients = await repository.operator_emails(ctx.session)
        link = f"{base}/admin/after-sales"
    subject = f"售后 #{request.id}：{_WHAT[step][:20]}"
    for to in recipients:
        await ctx.mailer.send(
            OutgoingMail(
                to=to,
                subject=subject,
                text=_text(view, step, link),
                message_key=f"aftersales-{request.id}-{step.value}-{audience.value}-{to}",
            )
        )


@job(service.AUTO_ACCEPT_JOB)
async def auto_accept(ctx: JobContext, payload: dict[str, Any]) -> None:
    """At the deadline: a request the supplier left unanswered is accepted."""
    await service.auto_accept(ctx.session, int(payload["request_id"]))


@job(service.DISCARD_STRAY_PHOTO_JOB)
async def discard_stray_photo(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A day after its upload: a photo no request took is deleted, row and files."""
    await service.discard_stray_photo(ctx.session, int(payload["photo_id"]))
