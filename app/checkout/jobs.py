"""Outbox jobs of checkout: expiry of orders left unpaid."""

from __future__ import annotations

from typing import Any

from app.checkout import service
from app.jobs.registry import JobContext, job


@job(service.EXPIRE_ORDER_JOB)
async def expire_order(ctx: JobContext, payload: dict[str, Any]) -> None:
    """At the order's payment deadline: cancel it if still unpaid, releasing its stock."""
    await service.expire_order(ctx.session, int(payload["order_id"]))
