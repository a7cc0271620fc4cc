"""The buyer's delivery county, remembered in the browser session once the cart was priced for
it, so that product pages quote shipping to the same place."""

from __future__ import annotations

import re

from starlette.requests import Request

_SESSION_KEY = "delivery_county"
_COUNTY_CODE = re.compile(r"^[0-9]{6}$")


def remember_delivery_county(request: Request, county_code: str) -> None:
    if _COUNTY_CODE.match(county_code):
        request.session[_SESSION_KEY] = county_code


def delivery_county(request: Request) -> str | None:
    code = request.session.get(_SESSION_KEY)
    return code if isinstance(code, str) and _COUNTY_CODE.match(code) else None
