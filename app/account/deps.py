"""FastAPI dependencies for who is asking: API bearer tokens, page sessions, roles, login limits."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.account import service
from app.account.models import Role, User
from app.core.errors import Forbidden
from app.web.db import DbSession
from app.web.ratelimit import RateLimiter
from app.web.security import TokenSigner, session_user_id

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An access token from POST /api/v1/auth/token",
)


# The `openapi_extra` of a route whose bearer token is optional (it answers anonymous callers
# too): OpenAPI's empty security requirement is the "or none" beside the bearer scheme.
OPTIONAL_BEARER: dict[str, Any] = {"security": [{}]}


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": "Bearer"})


async def current_user(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User:
    """The active user named by the request's bearer token, else 401 `unauthorized`."""
    if credentials is None:
        raise _unauthorized("Sign in first: send the header Authorization: Bearer <token>.")
    signer: TokenSigner = request.app.state.token_signer
    user_id = signer.read(credentials.credentials)
    user = await service.get_user(session, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        raise _unauthorized("The access token is invalid or has expired.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


@dataclass(frozen=True)
class HeaderUser:
    """What the page header shows of the signed-in user."""

    id: int
    display_name: str
    roles: frozenset[str] = frozenset()

    @property
    def is_operator(self) -> bool:
        return Role.OPERATOR in self.roles

    @property
    def is_supplier(self) -> bool:
        return bool(self.roles & {Role.SUPPLIER_ADMIN, Role.SUPPLIER_MEMBER})

    @property
    def is_organization_member(self) -> bool:
        return bool(self.roles & {Role.ORG_BUYER, Role.ORG_APPROVER, Role.ORG_ADMIN})


async def optional_page_user(request: Request, session: DbSession) -> User | None:
    """The active user of the session cookie, or None; the page header shows whoever it is."""
    user_id = session_user_id(request)
    user = await service.get_user(session, user_id) if user_id is not None else None
    if user is not None and not user.is_active:
        user = None  # a deactivated account is signed out everywhere at once
    # A plain copy for the header: an error page is rendered after the request's session has
    # rolled back and closed, when the ORM object can no longer load its attributes.
    request.state.user = (
        HeaderUser(
            user.id,
            user.display_name,
            frozenset(a.role.value for a in await service.user_roles(session, user.id)),
        )
        if user is not None
        else None
    )
    return user


OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]


def login_url(request: Request) -> str:
    """/login with a `next` that brings the user back to this page."""
    target = request.url.path
    if request.url.query:
        target = f"{target}?{request.url.query}"
    return f"/login?next={quote(target, safe='')}"


async def page_user(request: Request, user: OptionalPageUser) -> User:
    """The signed-in user of a page; a signed-out visitor is sent to the login page."""
    if user is None:
        # The shared HTTP error handler passes the headers through, so this is a plain 303.
        raise HTTPException(303, detail="Sign in first.", headers={"Location": login_url(request)})
    return user


PageUser = Annotated[User, Depends(page_user)]


def _role_names(roles: tuple[Role, ...]) -> str:
    return ", ".join(role.value for role in roles)


def require_role(*roles: Role) -> Callable[[User, AsyncSession], Awaitable[User]]:
    """An API dependency: the current user if they hold one of `roles` (any scope), else 403.

    Use as `Buyer = Annotated[User, Depends(require_role(Role.CONSUMER))]` (operators: `Operator`).
    """

    async def dependency(user: CurrentUser, session: DbSession) -> User:
        if not await service.has_any_role(session, user.id, roles):
            raise Forbidden(f"This needs the role {_role_names(roles)}.")
        return user

    return dependency


def require_page_role(*roles: Role) -> Callable[[User, AsyncSession], Awaitable[User]]:
    """The page counterpart of require_role: signed out → login page, wrong role → 403 page."""

    async def dependency(user: PageUser, session: DbSession) -> User:
        if not await service.has_any_role(session, user.id, roles):
            raise Forbidden(f"This needs the role {_role_names(roles)}.")
        return user

    return dependency


# A platform operator, on the API and on pages: every domain's operator routes use these.
Operator = Annotated[User, Depends(require_role(Role.OPERATOR))]
PageOperator = Annotated[User, Depends(require_page_role(Role.OPERATOR))]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _email_key(email: str) -> str:
    # Hashed: the limiter's store (Redis) need not hold anyone's address.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


async def login_attempt_allowed(request: Request, email: str) -> bool:
    """Count a login attempt per e-mail and per client IP; False once either is used up."""
    limiter: RateLimiter = request.app.state.login_limiter
    # Both counters are hit every time, so that spreading guesses over addresses still counts.
    by_email = await limiter.hit(f"email:{_email_key(email)}")
    by_ip = await limiter.hit(f"ip:{_client_ip(request)}")
    return by_email and by_ip


async def forget_login_failures(request: Request, email: str) -> None:
    """After a successful login the address's counter restarts; the IP's does not."""
    limiter: RateLimiter = request.app.state.login_limiter
    await limiter.reset(f"email:{_email_key(email)}")


def login_retry_after(request: Request) -> str:
    """Seconds to wait, for Retry-After: at most one window of the fixed-window limiter."""
    return str(request.app.state.settings.login_window_seconds)


def too_many_login_attempts(request: Request) -> HTTPException:
    """429 `rate_limited` with Retry-After, rendered by the shared HTTP error handler."""
    return HTTPException(
        429,
        detail="Too many login attempts; try again later.",
        headers={"Retry-After": login_retry_after(request)},
    )
