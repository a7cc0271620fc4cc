"""Route dependencies of the catalog domain: how stock edits are written, the listing's caches."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.catalog.listing import ListingCaches
from app.catalog.service import StockSetter


def _stock_setter(request: Request) -> StockSetter:
    setter: StockSetter = request.app.state.set_stock
    return setter


# How a supplier's stock edit is written: the inventory domain's set_stock (locked, logged as
# a `restocked` movement), handed in by the app (app.main) since inventory sits above catalog.
StockSetterDep = Annotated[StockSetter, Depends(_stock_setter)]


def _listing_caches(request: Request) -> ListingCaches:
    state = request.app.state
    return ListingCaches(state.caches, state.database.reader)


# The app's caches as the listing uses them (app.catalog.listing.caching).
ListingCachesDep = Annotated[ListingCaches, Depends(_listing_caches)]
