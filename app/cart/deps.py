"""Who owns the cart of a request: the signed-in user (bearer token or session cookie) and the
anonymous cart cookie; and writing that cookie back."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from app.account.deps import (
    CurrentUser,
    OptionalPageUser,
    PageUser,
    bearer_scheme,
    current_user,
    session_cookie_user,
)
from app.account.models import User
from app.cart import service
from app.cart.service import CartOutcome, CartOwner
from app.web.db import DbSession

CART_COOKIE = "cart"
CART_COOKIE_MAX_AGE = 60 * 60 * 24 * 60  # an anonymous cart is kept for 60 days of disuse


async def api_cart_owner(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> CartOwner:
    """A bearer token names the user (an invalid one is 401, never silently anonymous); else
    the session cookie of a signed-in browser; else nobody. Plus the anonymous cart cookie."""
    token = request.cookies.get(CART_COOKIE)
    if credentials is not None:
        user = await current_user(request, session, credentials)
        return CartOwner(user_id=user.id, token=token)
    signed_in = await session_cookie_user(request, session)
    return CartOwner(user_id=signed_in.id if signed_in is not None else None, token=token)


async def page_cart_owner(request: Request, user: OptionalPageUser) -> CartOwner:
    return CartOwner(
        user_id=user.id if user is not None else None, token=request.cookies.get(CART_COOKIE)
    )


ApiCartOwner = Annotated[CartOwner, Depends(api_cart_owner)]
PageCartOwner = Annotated[CartOwner, Depends(page_cart_owner)]


async def page_user_with_cart(request: Request, user: PageUser, session: DbSession) -> User:
    """The signed-in user of a page (signed out: to the login page), with the anonymous cart
    they brought merged into theirs first: checkout, reached straight from signing in, must
    see what was put in the cart before."""
    await service.merge_anonymous_cart(
        session, user_id=user.id, token=request.cookies.get(CART_COOKIE)
    )
    return user


async def api_user_with_cart(request: Request, user: CurrentUser, session: DbSession) -> User:
    """The API counterpart of page_user_with_cart (bearer token; a browser's cart cookie)."""
    await service.merge_anonymous_cart(
        session, user_id=user.id, token=request.cookies.get(CART_COOKIE)
    )
    return user


PageUserWithCart = Annotated[User, Depends(page_user_with_cart)]
ApiUserWithCart = Annotated[User, Depends(api_user_with_cart)]


def apply_cart_cookie(request: Request, response: Response, outcome: CartOutcome) -> None:
    """Set the new anonymous cart's cookie, or clear one that was merged or names nothing."""
    secure = bool(request.app.state.settings.session_cookie_secure)
    if outcome.new_token is not None:
        response.set_cookie(
            CART_COOKIE,
            outcome.new_token,
            max_age=CART_COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure,
        )
    elif outcome.clear_token:
        response.delete_cookie(CART_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
