"""Dependencies of the cooperative routes: the optional API user, operators, the admission rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from app.account.deps import Operator as Operator
from app.account.deps import PageOperator as PageOperator
from app.account.deps import bearer_scheme, current_user
from app.account.models import User
from app.web.db import DbSession


async def optional_api_user(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User | None:
    """The token's user, or None without a token; a bad token is still 401, not anonymous."""
    if credentials is None:
        return None
    return await current_user(request, session, credentials)


OptionalApiUser = Annotated[User | None, Depends(optional_api_user)]


async def supplier_requires_poverty_county(request: Request) -> bool:
    """The admission rule (FENGSHOU_SUPPLIER_REQUIRES_POVERTY_COUNTY), on unless turned off."""
    return bool(getattr(request.app.state.settings, "supplier_requires_poverty_county", True))


RequiresPovertyCounty = Annotated[bool, Depends(supplier_requires_poverty_county)]
