"""Pages whose blocks are the same for every visitor: rendered once, kept in a cache by the
caller, and put into each visitor's own frame (header, name, cart count, CSRF token).

A page template opts in with `{% extends layout|default("base.html") %}`: rendered for the
cache it extends `_partials/blocks_layout.html` instead, which writes only the blocks the page
defines, between separators. The visitor's CSRF token is rendered as a placeholder and put in
per request; the header's user and counts are never in the blocks (the cached render sees an
anonymous visitor with nothing to count). The separator and the placeholder are random per
process, so no product text can forge them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from markupsafe import Markup, escape
from starlette.responses import Response

from app.web import front_door, i18n
from app.web.compression import KeptBody, SplicedBody, kept_response, spliced_response
from app.web.security import CSRF_TOKEN_LENGTH
from app.web.templating import render, render_in_slices, templates

BLOCKS = ("title", "description", "head", "content", "scripts")
_LAYOUT = "_partials/blocks_layout.html"
_FRAME = "_partials/blocks_frame.html"
_SEPARATOR = f"<!--{secrets.token_hex(16)}-->"
# Hex digits only: escaping leaves it as it is wherever a template writes the token.
_CSRF_PLACEHOLDER = secrets.token_hex(16)
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class AnonymousPage:
    """A whole page as every visitor who is not signed in sees it (render_anonymous). One
    without a CSRF token is the same bytes for all of them: encoded (and gzipped) once; one
    with a token is encoded and gzipped once around it."""

    kept: KeptBody | SplicedBody

    @classmethod
    def of(cls, text: str) -> AnonymousPage:
        body = text.encode()
        if _CSRF_PLACEHOLDER in text:
            return cls(SplicedBody.of(body, _CSRF_PLACEHOLDER.encode(), CSRF_TOKEN_LENGTH))
        return cls(KeptBody.of(body))


@dataclass(frozen=True)
class PageBlocks:
    """A page's rendered blocks (by name, "" for those it does not define), and the whole
    page as a visitor who is not signed in sees it, once rendered (its CSRF token aside)."""

    blocks: dict[str, Markup]
    has_csrf_token: bool
    anonymous: dict[str, AnonymousPage] = field(default_factory=dict, compare=False)

    @property
    def size(self) -> int:
        """Characters held (for the cache's memory bound)."""
        return sum(len(block) for block in self.blocks.values())


async def render_blocks(template: str, context: dict[str, Any]) -> PageBlocks:
    """The page's blocks as every visitor sees them, in the current locale (in a background
    refresh, rendered in slices: the requests in flight are answered meanwhile)."""
    full: dict[str, Any] = {
        "locale": i18n.current_locale.get(),
        "current_user": None,
        "csrf_token": _CSRF_PLACEHOLDER,
        "side_menu": None,
        "header_counts": {},
        **context,
        "layout": _LAYOUT,
        "block_separator": Markup(_SEPARATOR),  # noqa: S704  (a constant of ours)
    }
    text = await render_in_slices(template, full)
    parts = text.split(_SEPARATOR)
    if len(parts) != len(BLOCKS):
        raise ValueError(f"{template} does not extend `layout` (or a block holds a separator)")
    blocks = {name: Markup(part) for name, part in zip(BLOCKS, parts, strict=True)}  # noqa: S704
    return PageBlocks(blocks, _CSRF_PLACEHOLDER in text)


# The query parameters the frame itself reads (the header's notice after adding to the cart).
FRAME_QUERY_PARAMS = (b"cart_added",)


def frame_is_anonymous(request: Request) -> bool:
    """Whether this visitor's frame is everybody's: not signed in, nothing to count, no
    portal menu, and none of the query parameters the frame reads."""
    state = request.state
    query: bytes = request.scope.get("query_string", b"")
    return (
        getattr(state, "user", None) is None
        and not any(getattr(state, "header_counts", {}).values())
        and getattr(state, "side_menu", None) is None
        and not any(name in query for name in FRAME_QUERY_PARAMS)
    )


def render_anonymous(request: Request, template: str, context: dict[str, Any]) -> AnonymousPage:
    """The whole page as every visitor who is not signed in sees it, CSRF token aside (see
    `with_csrf_token`): for a caller to keep."""
    full = {
        "request": request,
        "locale": i18n.current_locale.get(),
        "current_user": None,
        "csrf_token": _CSRF_PLACEHOLDER,
        "side_menu": None,
        "header_counts": {},
        **context,
    }
    return AnonymousPage.of(templates.env.get_template(template).render(full))


def with_csrf_token(request: Request, page: AnonymousPage, *, status_code: int = 200) -> Response:
    """A page from render_anonymous with this visitor's CSRF token (its bytes and ETag as
    kept when it has none)."""
    if isinstance(page.kept, KeptBody):
        return kept_response(request, page.kept, media_type=HTML, status_code=status_code)
    from app.web.security import csrf_token

    token = str(escape(csrf_token(request))).encode()
    return spliced_response(request, page.kept, token, media_type=HTML, status_code=status_code)


def render_page(
    request: Request,
    page: PageBlocks,
    *,
    status_code: int = 200,
    still_answered: Callable[[], bool] | None = None,
) -> Response:
    """The page in this visitor's frame, with their CSRF token where the page has one. The
    frame of a visitor who is not signed in is the same for all: rendered once per page, and
    offered to the front door while `still_answered()` (the page is kept as it is)."""
    if frame_is_anonymous(request):
        whole = page.anonymous.get("page")
        if whole is None:
            whole = render_anonymous(request, _FRAME, {"blocks": page.blocks})
            page.anonymous["page"] = whole
        if still_answered is not None:
            front_door.offer(request, whole, status_code, still_answered)
        return with_csrf_token(request, whole, status_code=status_code)
    blocks = page.blocks
    if page.has_csrf_token:
        from app.web.security import csrf_token

        token = str(escape(csrf_token(request)))
        blocks = {
            # str.replace: Markup's own would escape the token a second time.
            name: Markup(str.replace(block, _CSRF_PLACEHOLDER, token))  # noqa: S704
            for name, block in blocks.items()
        }
    return render(request, _FRAME, {"blocks": blocks}, status_code=status_code)
