"""What the HTML pages' forms share: field types, the CSRF check, the wording of field problems."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated

from fastapi import Depends, File, Form, Request, UploadFile

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


def check_this() -> str:
    """The wording for a field whose problem has no message of its own."""
    return _("请检查此项。")


def field_messages(fields: Iterable[str], messages: Mapping[str, str]) -> dict[str, str]:
    """One message per field with a problem, in the page's language."""
    return {name: messages.get(name, check_this()) for name in fields}
