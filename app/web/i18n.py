"""Locale negotiation and Babel message catalogs (source strings are zh-CN, the default)."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web import local_formats

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
DEFAULT_LOCALE = "zh_CN"
SUPPORTED_LOCALES = ("zh_CN", "en")
LANG_COOKIE = "lang"
_LANG_ALIASES = {"zh": "zh_CN", "zh-cn": "zh_CN", "zh_cn": "zh_CN", "en": "en", "en-us": "en"}

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


def normalize_locale(value: str | None) -> str | None:
    if not value:
        return None
    return _LANG_ALIASES.get(value.strip().lower().replace("_", "-")) or _LANG_ALIASES.get(
        value.strip().lower()[:2]
    )


@cache
def translations_for(locale: str) -> NullTranslations:
    """Compiled catalog for a locale; zh_CN is the source language and needs none."""
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def gettext(message: str) -> str:
    return translations_for(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations_for(current_locale.get()).ngettext(singular, plural, n)


def negotiate_locale(query_lang: str | None, cookie_lang: str | None, accept: str | None) -> str:
    """?lang= wins, then the remembered cookie, then zh-CN (the product's default)."""
    for candidate in (query_lang, cookie_lang):
        locale = normalize_locale(candidate)
        if locale:
            return locale
    del accept  # A Chinese shop answers in Chinese unless asked otherwise.
    return DEFAULT_LOCALE


class LocaleMiddleware:
    """Sets the request's locale and remembers an explicit ?lang= choice in a cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Most requests name no language: the query and the cookies are parsed only when
        # they may hold one.
        query_lang: str | None = None
        cookie_lang: str | None = None
        if b"lang" in scope.get("query_string", b""):
            query_lang = HTTPConnection(scope).query_params.get("lang")
        for name, value in scope.get("headers", ()):
            if name == b"cookie" and b"lang" in value:
                cookie_lang = HTTPConnection(scope).cookies.get(LANG_COOKIE)
                break
        locale = negotiate_locale(query_lang, cookie_lang, None)
        scope.setdefault("state", {})["locale"] = locale
        token = current_locale.set(locale)
        # Set again only when it changes: an answer that sets a cookie gets no ETag
        # (app.web.caching), and ?lang=en links are followed on every page of the English site.
        remember = normalize_locale(query_lang)
        if remember == normalize_locale(cookie_lang):
            remember = None

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                cookie = f"{LANG_COOKIE}={remember}; Path=/; Max-Age=31536000; SameSite=Lax"
                headers.append((b"set-cookie", cookie.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie if remember else send)
        finally:
            current_locale.reset(token)


def month_name(month: int) -> str:
    """A month as the page's language names it: 3月, or March."""
    return local_formats.month_name(month, current_locale.get())
