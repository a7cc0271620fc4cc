"""The Jinja environment: i18n, money and date filters, and the render() shortcut."""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from app.core.cache import in_background_refresh
from app.core.clock import CHINA_TZ
from app.core.images import DISPLAY_SIDE, THUMB_SIDE, fitted_width
from app.core.money import format_yuan
from app.web import i18n, local_formats, seo
from app.web.static import static_url

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=jinja2.select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
templates = Jinja2Templates(env=_env)


def yuan(amount_fen: int | None) -> str:
    return "" if amount_fen is None else format_yuan(amount_fen)


def number(value: int | float | None) -> str:
    return "" if value is None else local_formats.format_number(value)


def local_date(value: date | datetime | None) -> str:
    """The medium date, or date and time in China's time zone, in the page's language."""
    if value is None:
        return ""
    locale = i18n.current_locale.get()
    if isinstance(value, datetime):
        return local_formats.format_datetime(value.astimezone(CHINA_TZ), locale)
    return local_formats.format_date(value, locale)


def photo_srcset(url: str, thumb_url: str, width: int, height: int) -> str:
    """srcset of a photo's two stored copies (app.core.images), the browser picking the one
    its box needs: the thumbnail on a phone, the display copy on a wide or dense screen."""
    return (
        f"{thumb_url} {fitted_width(width, height, THUMB_SIDE)}w, "
        f"{url} {fitted_width(width, height, DISPLAY_SIDE)}w"
    )


templates.env.globals["photo_srcset"] = photo_srcset
templates.env.filters["yuan"] = yuan
templates.env.filters["number"] = number
templates.env.filters["local_date"] = local_date
templates.env.filters["month"] = i18n.month_name
templates.env.globals["static_url"] = static_url
templates.env.globals["canonical_url"] = seo.canonical_url
templates.env.globals["alternate_urls"] = seo.alternate_urls
templates.env.globals["other_language_url"] = seo.other_language_url


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a page with what every page needs: locale, the signed-in user, the CSRF token."""
    from app.web.security import csrf_token

    full: dict[str, Any] = {
        "locale": i18n.current_locale.get(),
        "current_user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        # A back-office portal's menu, when the route's portal dependency set one.
        "side_menu": getattr(request.state, "side_menu", None),
        # Numbers beside the header's links (app.web.header), e.g. the cart's lines.
        "header_counts": getattr(request.state, "header_counts", {}),
    }
    full.update(context or {})
    return templates.TemplateResponse(
        request, template, full, status_code=status_code, headers=headers
    )


# A page kept for every visitor and refreshed in the background (its previous version served
# meanwhile) is rendered in slices of about this long, the event loop answering the requests in
# flight between them. Measured on the page benchmark (PostgreSQL): the home page's blocks took
# 10–36 ms to render in one go, and every request in flight waited for the whole of it at each
# refresh (its p99 over 5 × its p50). A page that requests wait for is rendered in one go: in a
# rush each slice would cost them a turn of the loop.
RENDER_SLICE_SECONDS = 0.002


async def render_in_slices(template: str, context: dict[str, Any]) -> str:
    """`template` rendered with `context`, as Template.render would; in a background refresh
    (app.core.cache.in_background_refresh), yielding to the event loop whenever a slice of
    RENDER_SLICE_SECONDS has been spent."""
    if not in_background_refresh():
        return templates.env.get_template(template).render(context)
    pieces: list[str] = []
    clock = time.perf_counter
    ends = clock() + RENDER_SLICE_SECONDS
    for piece in templates.env.get_template(template).generate(context):
        pieces.append(piece)
        if clock() >= ends:
            await asyncio.sleep(0)
            ends = clock() + RENDER_SLICE_SECONDS
    return "".join(pieces)
