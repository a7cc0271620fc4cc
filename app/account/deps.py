"""FastAPI dependencies for who is asking: API bearer tokens, page sessions, roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.account import service, sessions
from app.account.models import Role, SessionKind, User
from app.core.db import unit_of_work
from app.core.errors import Forbidden
from app.web.db import DbSession
from app.web.header import header_counts, no_header_counts
from app.web.i18n import gettext as _
from app.web.menu import Counter, MenuCounters, MenuItem, build_menu
from app.web.security import forget_session_secret, session_secret

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
    """The active user of the request's unexpired, unrevoked bearer token, else 401
    `unauthorized`. The token's id is kept in `request.state.api_token_id`."""
    if credentials is None:
        raise _unauthorized("Sign in first: send the header Authorization: Bearer <token>.")
    found = await sessions.signed_in(session, credentials.credentials, SessionKind.API_TOKEN)
    if found is None:
        raise _unauthorized("The access token is invalid, has expired or was revoked.")
    request.state.api_token_id = found.session_id
    return found.user


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


async def session_cookie_user(request: Request, session: DbSession) -> User | None:
    """The active user of the browser session the cookie names, or None. A cookie without a
    session (anonymous) costs no query; one whose session has ended (signed out, everywhere or
    here, expired) or whose user is deactivated is signed out at once and forgets the secret.
    The session's id is kept in `request.state.browser_session_id`."""
    secret = session_secret(request)
    if secret is None:
        return None
    found = await sessions.signed_in(session, secret, SessionKind.BROWSER)
    if found is None:
        forget_session_secret(request)
        return None
    request.state.browser_session_id = found.session_id
    return found.user


async def optional_page_user(request: Request, session: DbSession) -> User | None:
    """The signed-in user of a page, or None; the page header shows whoever it is."""
    user = await session_cookie_user(request, session)
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
    request.state.header_counts = await header_counts(
        request, session, user.id if user is not None else None
    )
    return user


OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]


async def storefront_visitor(request: Request) -> User | None:
    """optional_page_user for a page that reads nothing else in the request's session (the
    storefront's kept pages): a visitor without cookies, who is nobody and has nothing to
    count, costs no session at all; the others are read in a session of their own."""
    if not any(name == b"cookie" for name, _value in request.scope["headers"]):
        request.state.user = None
        request.state.header_counts = no_header_counts()
        return None
    async with unit_of_work(request.app.state.database.reader) as session:
        return await optional_page_user(request, session)


StorefrontVisitor = Annotated[User | None, Depends(storefront_visitor)]


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


# ---------------------------------------------------------------------------------------------
# The operator's back office: every operator page carries its side menu

_BACK_OFFICE_COUNTERS = MenuCounters()


def register_back_office_counter(key: str, counter: Counter) -> None:
    """Show `await counter(session, 0)` beside the back-office menu's entry `key` (domains
    register the queues they own: suppliers, organisations, certificates, transfers)."""
    _BACK_OFFICE_COUNTERS.register(key, counter)


def _back_office_items() -> list[MenuItem]:
    return [
        MenuItem("cooperatives", "/admin/cooperatives", _("供应商审核")),
        MenuItem("organizations", "/admin/organizations", _("机构审核")),
        MenuItem("certificates", "/admin/certificates", _("资质审核")),
        MenuItem("transfers", "/admin/transfers", _("对公转账确认")),
        MenuItem("payments", "/admin/payments", _("支付与退款")),
        MenuItem("after_sales", "/admin/after-sales", _("售后仲裁")),
        MenuItem("prices", "/admin/reference-prices", _("价格监测")),
        MenuItem("brands", "/admin/brands", _("区域品牌")),
        MenuItem("reviews", "/admin/reviews", _("评价管理")),
        MenuItem("audit", "/admin/audit", _("审计日志")),
    ]


async def _back_office_operator(
    request: Request,
    user: Annotated[User, Depends(require_page_role(Role.OPERATOR))],
    session: DbSession,
) -> User:
    request.state.side_menu = build_menu(
        title=_("运营后台"),
        title_href="/admin/cooperatives",
        label=_("运营后台菜单"),
        items=_back_office_items(),
        counts=await _BACK_OFFICE_COUNTERS.counts(session, 0),
        path=request.url.path,
    )
    return user


# A platform operator, on the API and on pages (which carry the back office's menu): every
# domain's operator routes use these.
Operator = Annotated[User, Depends(require_role(Role.OPERATOR))]
PageOperator = Annotated[User, Depends(_back_office_operator)]
