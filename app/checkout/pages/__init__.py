"""HTML routes of checkout: the checkout form, the buyer's address book, the buyer's orders and
one order's page (the labels other domains' pages share are in `wording`)."""

from __future__ import annotations

from fastapi import APIRouter

from app.checkout.pages import addresses, form, orders, reviews
from app.checkout.pages.wording import payment_method_labels

router = APIRouter(include_in_schema=False)
for part in (form, addresses, orders, reviews):
    router.include_router(part.router)

__all__ = ["payment_method_labels", "router"]
