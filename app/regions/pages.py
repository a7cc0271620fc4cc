"""HTML routes of the regions domain: the home page and the county page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.regions import service
from app.web.db import DbSession
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def show_home(request: Request, session: DbSession) -> Response:
    """The home page: poverty-lifted counties per province and the key-assistance counties."""
    overview = await service.summarize_regions(session)
    return render(request, "regions/home.html", {"overview": overview})


@router.get("/counties/{code}", response_class=HTMLResponse)
async def show_county(request: Request, session: DbSession, code: str) -> Response:
    """A county: its place, its badges and the pairings that help it (404 page if unknown)."""
    county = await service.get_county_detail(session, code)
    return render(request, "regions/show_county.html", {"county": county})
