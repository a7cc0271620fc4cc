"""HTML routes of procurement in the organisation portal (/org/{id}/…): bulk orders, the
approval queue and the organisation's orders; the portal menu counts what awaits approval."""

from __future__ import annotations

from fastapi import APIRouter

from app.organization.menu import register_menu_counter
from app.procurement import service
from app.procurement.pages import approvals, bulk_orders, gift_orders, orders

router = APIRouter(include_in_schema=False)
for part in (bulk_orders, gift_orders, approvals, orders):
    router.include_router(part.router)

register_menu_counter("approvals", service.awaiting_decision)
