"""What the HTML pages' forms share: field types, the CSRF check, the wording of field problems."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, File, Form, Request, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from app.web.i18n import gettext as _
from app.web.security import check_csrf

FormText = Annotated[str, Form()]
# FastAPI copies a list default per request, so `= []` is safe on these.
FormList = Annotated[list[str], Form()]
OptionalUpload = Annotated[UploadFile | None, File()]


async def _checked_csrf(request: Request, csrf_token: FormText = "") -> None:
    check_csrf(request, csrf_token)


# A form route declares this after the user it acts for: FastAPI resolves a route's
# dependencies in the order they are declared, so a signed-out visitor is still sent to sign
# in (or refused for a missing role) before the token is looked at, and the handler's body
# runs only for a form that came from this site (403 `csrf_failed` otherwise).
CsrfChecked = Annotated[None, Depends(_checked_csrf)]


UserT = TypeVar("UserT")


@dataclass(frozen=True)
class PostedForm(Generic[UserT]):
    """A form posted to a page route, as a domain's dependency hands it over once resolved (the
    user, CsrfChecked, the session, in that order): what the handler and the page it may be
    refused back to need. Each domain adds the ids of what the form is about."""

    request: Request
    session: AsyncSession
    user: UserT


def check_this() -> str:
    """The wording for a field whose problem has no message of its own."""
    return _("请检查此项。")


def field_messages(fields: Iterable[str], messages: Mapping[str, str]) -> dict[str, str]:
    """One message per field with a problem, in the page's language."""
    return {name: messages.get(name, check_this()) for name in fields}
