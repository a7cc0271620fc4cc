"""Who is told of each step, through the outbox: the job (app.aftersales.jobs) writes the mail."""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs.service import enqueue

NOTIFY_JOB = "aftersales.notify"


class Audience(enum.StrEnum):
    BUYER = "buyer"
    SUPPLIER = "supplier"
    OPERATORS = "operators"


class Step(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    AUTO_ACCEPTED = "auto_accepted"
    REJECTED = "rejected"
    ESCALATED = "escalated"
    RETURN_SENT = "return_sent"
    RECEIVED = "received"
    DECIDED_REFUND = "decided_refund"
    DECIDED_REJECT = "decided_reject"
    REFUNDED = "refunded"
    PAYOUT_DUE = "payout_due"


async def notify(session: AsyncSession, request_id: int, step: Step, *to: Audience) -> None:
    """Queue one mail per audience about `step`, in the caller's transaction."""
    for audience in to:
        await enqueue(
            session,
            NOTIFY_JOB,
            {"request_id": request_id, "step": step.value, "to": audience.value},
        )
