"""HTML routes of regional public brands: the brands index and a brand's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.account.deps import OptionalPageUser
from app.brands import service
from app.web.db import DbSession
from app.web.media import Media
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/brands", response_class=HTMLResponse)
async def list_brands(
    request: Request, session: DbSession, media: Media, user: OptionalPageUser
) -> Response:
    """Every regional public brand, with its region and products."""
    brands = await service.list_brands(session, media=media)
    return render(request, "brands/list_brands.html", {"brands": brands})


@router.get("/brands/{slug}", response_class=HTMLResponse)
async def show_brand(
    request: Request, session: DbSession, media: Media, user: OptionalPageUser, slug: str
) -> Response:
    """A brand's story, counties, suppliers, products and benefit to date (404 for none)."""
    brand = await service.brand_detail(session, slug, media=media)
    return render(request, "brands/show_brand.html", {"brand": brand})
