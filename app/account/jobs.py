"""Outbox jobs of the account domain: the welcome mail and invitation mails."""

from __future__ import annotations

from typing import Any

from app.account import invitations, service
from app.account.models import InvitationScope, InvitationStatus, Role
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


# How the mail names the offered role, per scope.
_ROLE_WORDS: dict[Role, str] = {
    Role.SUPPLIER_MEMBER: "成员",
    Role.SUPPLIER_ADMIN: "管理员",
    Role.ORG_BUYER: "采购员",
    Role.ORG_APPROVER: "审批人",
    Role.ORG_ADMIN: "管理员",
}
_SCOPE_WORDS = {InvitationScope.COOPERATIVE: "供应商", InvitationScope.ORGANIZATION: "采购单位"}


@job(invitations.INVITATION_MAIL_JOB)
async def send_invitation_mail(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Mail the invited address its link; an invitation answered, withdrawn or expired since
    (or whose role changed again: a later job mails that) gets nothing. The same mail goes to
    a registered and an unregistered address: the link works once signed in with it."""
    invitation = await invitations.get_invitation(ctx.session, int(payload["invitation_id"]))
    if (
        invitation is None
        or invitations.effective_status(invitation) != InvitationStatus.PENDING
        or invitation.role.value != payload.get("role", invitation.role.value)
    ):
        return
    inviter = (
        await service.get_user(ctx.session, invitation.inviter_user_id)
        if invitation.inviter_user_id is not None
        else None
    )
    base_url = ctx.settings.public_base_url.rstrip("/")
    link = f"{base_url}/invitations/{invitation.id}"
    scope = _SCOPE_WORDS[invitation.scope_kind]
    who = inviter.display_name if inviter is not None else "管理员"
    expires = invitation.expires_at.strftime("%Y-%m-%d")
    text = (
        "您好！\n\n"
        f"{who} 邀请您以{_ROLE_WORDS[invitation.role]}身份加入{scope}「{invitation.scope_name}」"
        "（丰收消费帮扶商城）。\n\n"
        f"用本邮箱地址登录后，在此接受或谢绝邀请：{link}\n"
        f"还没有账户？请先用本邮箱地址注册：{base_url}/register?next=/invitations/{invitation.id}\n\n"
        f"邀请有效期至 {expires}（UTC）。如果您不认识邀请人，请忽略此邮件；不接受邀请，"
        "您不会成为任何单位的成员。\n\n"
        "丰收 · 消费帮扶商城\n"
    )
    await ctx.mailer.send(
        OutgoingMail(
            to=invitation.email,
            subject=f"邀请您加入{scope}「{invitation.scope_name}」",
            text=text,
            # Stable per invitation and role: a retried job resends the same message.
            message_key=f"invitation-{invitation.id}-{invitation.role.value}",
        )
    )
