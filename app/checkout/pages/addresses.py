"""The buyer's address book (/account/addresses): the saved addresses with their default, and
forms to add, change, delete and choose the default, each usable without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.account.deps import PageUser
from app.account.models import User
from app.checkout.pages.wording import field_messages
from app.core.errors import DomainError
from app.order import service as order_service
from app.order.errors import AddressBookFull
from app.order.schemas import SavedAddressOut, ShippingAddressIn
from app.regions.listing import region_choices
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.i18n import gettext as _
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)

BOOK = "/account/addresses"
_DONE = ("added", "updated", "deleted", "default")


def _form_of(address: SavedAddressOut | None) -> dict[str, str]:
    if address is None:
        return {"name": "", "phone": "", "detail": "", "county_code": "", "is_default": ""}
    return {
        "name": address.name,
        "phone": address.phone,
        "detail": address.detail,
        "county_code": address.county_code,
        "is_default": "1" if address.is_default else "",
    }


async def _page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    editing: SavedAddressOut | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    """The book with the add form, or (editing) one address's form."""
    form = form if form is not None else _form_of(editing)
    regions = await region_choices(
        session,
        province_code=form.get("province") or None,
        prefecture_code=form.get("prefecture") or None,
        county_code=form.get("county_code") or None,
    )
    context: dict[str, Any] = {
        "addresses": []
        if editing
        else await order_service.list_addresses(session, user_id=user.id),
        "editing": editing,
        "form": form,
        "regions": regions,
        "errors": errors or {},
        "done": done if done in _DONE else None,
        "limit": order_service.MAX_SAVED_ADDRESSES,
    }
    template = "checkout/edit_address.html" if editing else "checkout/list_addresses.html"
    return render(request, template, context, status_code=status_code)


@dataclass(frozen=True)
class _Posted:
    """An address form as posted: its fields (shown again on a refusal) and whether it only
    asked for the selects' lists (`refresh`, the button without JavaScript)."""

    form: dict[str, str]
    refresh: bool

    @property
    def address(self) -> ShippingAddressIn:
        f = self.form
        return ShippingAddressIn(
            name=f["name"], phone=f["phone"], county_code=f["county_code"], detail=f["detail"]
        )

    @property
    def is_default(self) -> bool:
        return self.form["is_default"] == "1"


async def _posted(
    name: FormText = "",
    phone: FormText = "",
    province: FormText = "",
    prefecture: FormText = "",
    county_code: FormText = "",
    detail: FormText = "",
    is_default: FormText = "",
    refresh: FormText = "",
) -> _Posted:
    form = {
        "name": name,
        "phone": phone,
        "province": province,
        "prefecture": prefecture,
        "county_code": county_code,
        "detail": detail,
        "is_default": is_default,
    }
    return _Posted(form, bool(refresh))


PostedAddress = Annotated[_Posted, Depends(_posted)]


def _refused(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, AddressBookFull):
        return {
            "form": _("地址簿已满（最多 %(limit)s 个地址），请先删除不用的地址。")
            % {"limit": order_service.MAX_SAVED_ADDRESSES}
        }
    return field_messages(exc.fields) or {"form": _("地址未能保存，请检查后重试。")}


@router.get(BOOK, response_class=HTMLResponse)
async def list_addresses(
    request: Request,
    user: PageUser,
    session: DbSession,
    done: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """The saved addresses, the default first, and the form to add one."""
    return await _page(request, session, user, done=done)


@router.post(BOOK, response_class=HTMLResponse)
async def add_address(
    request: Request,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    posted: PostedAddress,
) -> Response:
    """Save a new address; a refusal shows the form again with what was typed."""
    if posted.refresh:
        return await _page(request, session, user, form=posted.form)
    try:
        await order_service.add_address(
            session, user_id=user.id, address=posted.address, is_default=posted.is_default
        )
    except DomainError as exc:
        return await _page(
            request,
            session,
            user,
            form=posted.form,
            errors=_refused(exc),
            status_code=exc.status_code,
        )
    return see_other(f"{BOOK}?done=added")


@router.get(BOOK + "/{address_id}", response_class=HTMLResponse)
async def edit_address(
    request: Request, address_id: str, user: PageUser, session: DbSession
) -> Response:
    """One saved address's form."""
    address = await order_service.get_address(
        session, user_id=user.id, address_id=page_id(address_id)
    )
    return await _page(request, session, user, editing=address)


@router.post(BOOK + "/{address_id}", response_class=HTMLResponse)
async def update_address(
    request: Request,
    address_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    posted: PostedAddress,
) -> Response:
    """Change a saved address; a refusal shows its form again with what was typed."""
    aid = page_id(address_id)
    editing = await order_service.get_address(session, user_id=user.id, address_id=aid)
    if posted.refresh:
        return await _page(request, session, user, editing=editing, form=posted.form)
    try:
        await order_service.update_address(
            session,
            user_id=user.id,
            address_id=aid,
            address=posted.address,
            is_default=posted.is_default,
        )
    except DomainError as exc:
        return await _page(
            request,
            session,
            user,
            editing=editing,
            form=posted.form,
            errors=_refused(exc),
            status_code=exc.status_code,
        )
    return see_other(f"{BOOK}?done=updated")


@router.post(BOOK + "/{address_id}/default", response_class=HTMLResponse)
async def make_default(
    address_id: str, user: PageUser, csrf: CsrfChecked, session: DbSession
) -> Response:
    """Make this address the default (checkout starts with it)."""
    await order_service.set_default_address(
        session, user_id=user.id, address_id=page_id(address_id)
    )
    return see_other(f"{BOOK}?done=default")


@router.post(BOOK + "/{address_id}/delete", response_class=HTMLResponse)
async def delete_address(
    address_id: str, user: PageUser, csrf: CsrfChecked, session: DbSession
) -> Response:
    """Delete this address (orders placed with it keep their own copy)."""
    await order_service.delete_address(session, user_id=user.id, address_id=page_id(address_id))
    return see_other(f"{BOOK}?done=deleted")
