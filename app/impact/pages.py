"""HTML routes of the impact domain: the public dashboard, a province's page for its officials
and a supplier's "where are my buyers" page. Charts are drawn by static/js/impact.js from the
same numbers the accessible tables under them show."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.account.deps import PageUser
from app.impact import reports
from app.impact.deps import PageRegionViewer, ProvinceCode, Year
from app.web.db import DbSession
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/impact", response_class=HTMLResponse)
async def show_dashboard(request: Request, session: DbSession, year: Year = None) -> Response:
    """Headline totals, amount per pairing, monthly trend, top counties, provinces."""
    dashboard = await reports.dashboard(session, year=year)
    return render(request, "impact/show_dashboard.html", {"dashboard": dashboard})


@router.get("/impact/counties/{code}/box", response_class=HTMLResponse)
async def show_county_box(
    request: Request, session: DbSession, code: str, year: Year = None
) -> Response:
    """The impact box of a county page as an HTML fragment (no page layout), for pages of
    lower domains (the storefront's county page) to load: see static/js/impact.js."""
    totals = await reports.county_totals(session, code, year)
    return render(request, "impact/_county_totals.html", {"county_totals": totals})


@router.get("/impact/region", response_class=HTMLResponse)
async def show_region(
    request: Request,
    session: DbSession,
    user: PageRegionViewer,
    year: Year = None,
    province: ProvinceCode = None,
) -> Response:
    """A province's pairings and counties, with exports (its officials; operators)."""
    report = await reports.region_report(session, user=user, province=province, year=year)
    return render(request, "impact/show_region.html", {"report": report})


@router.get("/coop/{cooperative_id}/impact", response_class=HTMLResponse)
async def show_cooperative(
    request: Request, session: DbSession, user: PageUser, cooperative_id: int, year: Year = None
) -> Response:
    """Where a supplier's buyers are, by province (its members only; others 404)."""
    report = await reports.cooperative_report(
        session, user=user, cooperative_id=cooperative_id, year=year
    )
    return render(request, "impact/show_cooperative.html", {"report": report})
