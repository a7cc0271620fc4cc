"""Route dependencies of the catalog domain: the listing's caches, the shipping estimator."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.listing import ListingCaches
from app.catalog.schemas import ProductDetail, ShippingEstimate


async def _listing_caches(request: Request) -> ListingCaches:
    state = request.app.state
    return ListingCaches(state.caches, state.database.page_reader)


# The app's caches as the listing uses them (app.catalog.listing.caching).
ListingCachesDep = Annotated[ListingCaches, Depends(_listing_caches)]


class BuyerRegion(Protocol):
    """The county of a signed-in buyer's default address (wired in by app.main, as
    `app.state.buyer_region`, for the same reason as the estimator below)."""

    async def __call__(self, session: AsyncSession, *, user_id: int) -> str | None: ...


class ShippingEstimator(Protocol):
    """Shipping for a product page, to the buyer's region when known. Buyers' addresses and
    shipping rules live in domains above the catalog: the app wires one in (app.main, as
    `app.state.shipping_estimator`); without one the page simply shows no shipping line."""

    async def __call__(
        self,
        session: AsyncSession,
        product: ProductDetail,
        *,
        user_id: int | None,
        county_code: str | None,
    ) -> ShippingEstimate | None: ...
