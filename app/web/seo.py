"""What search engines read in a page's head: its canonical address and its other-language
alternates (template globals, see app.web.templating).

The language is in the address: `?lang=en` is English whatever the visitor's cookie says, and
an address without it is the Chinese page for a visitor who chose nothing (a crawler). So a
page's canonical address keeps its own query (but `lang`, set again for English, and one-off
notices such as `cart_added`), and it names both versions with hreflang.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from app.web import i18n

# hreflang and ?lang= values of the supported locales.
HREFLANG = {"zh_CN": "zh-CN", "en": "en"}
LANG_PARAM = {"zh_CN": None, "en": "en"}
# Query parameters that make no page of their own. `next` (where sign-in returns to) is also
# never echoed: the login page checks it, these links would not.
_TRANSIENT = frozenset({"lang", "cart_added", "next"})


def base_url(request: Request) -> str:
    return str(request.app.state.settings.public_base_url).rstrip("/")


def page_url(request: Request, locale: str, *, absolute: bool = True) -> str:
    """This page's address in `locale`: its query kept, `lang` set for any but Chinese."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in _TRANSIENT]
    lang = LANG_PARAM.get(locale)
    if lang:
        params.append(("lang", lang))
    query = f"?{urlencode(params)}" if params else ""
    return (base_url(request) if absolute else "") + request.url.path + query


def canonical_url(request: Request) -> str:
    return page_url(request, i18n.current_locale.get())


def alternate_urls(request: Request) -> list[tuple[str, str]]:
    """(hreflang, address) of each language's version, and x-default (the Chinese one)."""
    alternates = [(HREFLANG[locale], page_url(request, locale)) for locale in HREFLANG]
    alternates.append(("x-default", page_url(request, i18n.DEFAULT_LOCALE)))
    return alternates


def other_language_url(request: Request) -> str:
    """The relative address of this page in the other language (the header's switch)."""
    other = "en" if i18n.current_locale.get() == i18n.DEFAULT_LOCALE else i18n.DEFAULT_LOCALE
    url = page_url(request, other, absolute=False)
    # Chinese is asked for explicitly, so that it replaces a remembered English.
    if other == i18n.DEFAULT_LOCALE:
        url += ("&" if "?" in url else "?") + "lang=zh-CN"
    return url
