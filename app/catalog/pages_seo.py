"""robots.txt and sitemap.xml: what crawlers may read, and every public page to read.

The sitemap names each page's Chinese address (the default) with its English alternate
(`?lang=en`), as the pages' own hreflang links do: the fixed pages, the listed products, the
counties with a verified supplier and the verified suppliers' public pages.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from app.catalog.repository import sitemap
from app.web.db import DbSession
from app.web.seo import base_url

router = APIRouter(include_in_schema=False)

SITEMAP_TYPE = "application/xml"
# Pages for signed-in people and the JSON API: nothing there for a search engine. The cart is
# not among them: anyone may open it, reading it writes nothing, and it is judged like the other
# public pages (a crawler that is kept out of a page counts against it in Lighthouse's SEO audit).
_DISALLOWED = (
    "/api/",
    "/account",
    "/admin",
    "/checkout",
    "/coop",
    "/org/",
    "/orders",
    "/pay",
)
_FIXED_PAGES = ("/", "/products", "/impact")
SUPPLIER_PATH = "/suppliers/{}"


@router.get("/robots.txt", response_class=PlainTextResponse)
async def show_robots(request: Request) -> PlainTextResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in _DISALLOWED)]
    lines += ["", f"Sitemap: {base_url(request)}/sitemap.xml", ""]
    return PlainTextResponse("\n".join(lines))


def _url(base: str, path: str, updated_at: datetime | None) -> str:
    zh = escape(base + quote(path))
    en = escape(base + quote(path) + "?lang=en")
    lastmod = f"<lastmod>{updated_at.date().isoformat()}</lastmod>" if updated_at else ""
    return (
        f"<url><loc>{zh}</loc>{lastmod}"
        f'<xhtml:link rel="alternate" hreflang="zh-CN" href="{zh}"/>'
        f'<xhtml:link rel="alternate" hreflang="en" href="{en}"/></url>'
    )


@router.get("/sitemap.xml", response_class=Response)
async def show_sitemap(request: Request, session: DbSession) -> Response:
    base = base_url(request)
    urls = [_url(base, path, None) for path in _FIXED_PAGES]
    urls += [
        _url(base, f"/products/{r.key}", r.updated_at)
        for r in await sitemap.listed_products(session)
    ]
    urls += [
        _url(base, f"/counties/{r.key}", r.updated_at)
        for r in await sitemap.supplier_counties(session)
    ]
    urls += [
        _url(base, SUPPLIER_PATH.format(r.key), r.updated_at)
        for r in await sitemap.verified_suppliers(session)
    ]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' + "\n".join(urls) + "\n</urlset>\n"
    )
    return Response(body, media_type=SITEMAP_TYPE)
