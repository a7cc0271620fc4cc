"""Route dependencies of the catalog domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.catalog.service import StockSetter


def _stock_setter(request: Request) -> StockSetter:
    setter: StockSetter = request.app.state.set_stock
    return setter


# How a supplier's stock edit is written: the inventory domain's set_stock (locked, logged as
# a `restocked` movement), handed in by the app (app.main) since inventory sits above catalog.
StockSetterDep = Annotated[StockSetter, Depends(_stock_setter)]
