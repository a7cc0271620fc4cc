"""Route dependencies of the catalog domain: the listing's caches."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.catalog.listing import ListingCaches


async def _listing_caches(request: Request) -> ListingCaches:
    state = request.app.state
    return ListingCaches(state.caches, state.database.reader)


# The app's caches as the listing uses them (app.catalog.listing.caching).
ListingCachesDep = Annotated[ListingCaches, Depends(_listing_caches)]
