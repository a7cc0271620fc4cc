"""Outbox jobs of the account domain: the welcome mail."""

from __future__ import annotations

from typing import Any

from app.account import service
from app.core.mail import OutgoingMail
from app.jobs.registry import JobContext, job


@job(service.WELCOME_MAIL_JOB)
async def send_welcome_mail(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Greet a new user by name; a user deleted since signing up gets nothing."""
    user_id = int(payload["user_id"])
    user = await service.get_user(ctx.session, user_id)
    if user is None:
        return
    base_url = ctx.settings.public_base_url.rstrip("/")
    text = (
        f"{user.display_name}，您好！\n\n"
        "欢迎加入丰收消费帮扶商城。在这里，您可以直接从脱贫县的农民专业合作社选购特色农产品，"
        "每一笔订单都会计入对口帮扶成效。\n\n"
        f"开始选购：{base_url}/products\n"
        f"我的账户：{base_url}/account\n\n"
        "如果这不是您本人的操作，请忽略此邮件。\n\n"
        "丰收 · 消费帮扶商城\n"
    )
    await ctx.mailer.send(
        OutgoingMail(
            to=user.email,
            subject="欢迎加入丰收消费帮扶商城",
            text=text,
            # Stable per user: a retried job resends the same message, not a second greeting.
            message_key=f"welcome-{user_id}",
        )
    )
