"""HTML routes of the impact domain: the public dashboard, a buyer's own purchases (我的帮扶), a
province's page for its officials, a supplier's "where are my buyers" page and an organisation's
dashboard (its progress against its reserved-share target, in the organisation portal's frame).
Charts are drawn by static/js/impact.js from the same numbers the accessible tables under them
show.

The public pages are the same for every visitor but for the layout around them (the signed-in
user, the CSRF token): the dashboard's body is rendered once per year, language and ledger
state and kept in the report cache (app.impact.cache); only the layout is rendered per
request. The county box keeps its totals there.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import OptionalPageUser, PageUser
from app.cooperative.menu import SupplierPortal
from app.impact import audience_reports, purchases, reports
from app.impact.deps import PageRegionViewer, ProvinceCode, Reports, Year, YearOrEvery
from app.organization import access
from app.organization import service as organization_service
from app.organization.menu import menu_context
from app.web import i18n
from app.web.db import DbSession
from app.web.paths import page_id
from app.web.templating import render, templates

router = APIRouter(include_in_schema=False)


@router.get("/impact", response_class=HTMLResponse)
async def show_dashboard(
    request: Request,
    session: DbSession,
    cache: Reports,
    user: OptionalPageUser,
    year: Year = None,
) -> Response:
    """Headline totals, amount per pairing, monthly trend, top counties, provinces; the header
    shows who is signed in, like every page's."""
    chosen = year or reports.current_year()
    locale = i18n.current_locale.get()
    body = await cache.cached(
        session, ("dashboard", chosen, locale), lambda: _dashboard_body(session, chosen)
    )
    return render(request, "impact/show_dashboard.html", {"year": chosen, "body": body})


async def _dashboard_body(session: AsyncSession, year: int) -> Markup:
    """The dashboard's body rendered in the request's language (kept as one string: a cached
    page adds one object, not the thousands of a report's models, to what the garbage
    collector walks)."""
    dashboard = await reports.dashboard(session, year=year)
    body = templates.env.get_template("impact/_dashboard.html").render(dashboard=dashboard)
    return Markup(body)  # noqa: S704  (Jinja's autoescaped output)


@router.get("/impact/counties/{code}/box", response_class=HTMLResponse)
async def show_county_box(
    request: Request, session: DbSession, cache: Reports, code: str, year: Year = None
) -> Response:
    """The impact box of a county page as an HTML fragment (no page layout), for pages of
    lower domains (the storefront's county page) to load: see static/js/impact.js."""
    chosen = year or reports.current_year()
    totals = await cache.cached(
        session, ("county_box", code, chosen), lambda: reports.county_totals(session, code, chosen)
    )
    return render(request, "impact/_county_totals.html", {"county_totals": totals})


@router.get("/account/impact", response_class=HTMLResponse)
async def show_my_impact(
    request: Request, session: DbSession, user: PageUser, year: YearOrEvery
) -> Response:
    """我的帮扶: the counties and pairings the signed-in buyer's own paid orders helped, with
    amounts and households, from the ledger; every year unless one is chosen."""
    impact = await purchases.buyer_impact(session, user_id=user.id, year=year)
    years = sorted({*impact.years, *([year] if year else [])}, reverse=True)
    return render(request, "impact/show_my_impact.html", {"impact": impact, "years": years})


@router.get("/impact/region", response_class=HTMLResponse)
async def show_region(
    request: Request,
    session: DbSession,
    cache: Reports,
    user: PageRegionViewer,
    year: Year = None,
    province: ProvinceCode = None,
) -> Response:
    """A province's pairings and counties, with exports (its officials; operators)."""
    report = await audience_reports.region_report(
        session, cache, user=user, province=province, year=year
    )
    return render(request, "impact/show_region.html", {"report": report})


@router.get("/coop/{cooperative_id}/impact", response_class=HTMLResponse)
async def show_cooperative(
    _menu: SupplierPortal,
    request: Request,
    session: DbSession,
    cache: Reports,
    user: PageUser,
    cooperative_id: int,
    year: Year = None,
) -> Response:
    """Where a supplier's buyers are, by province (its members only; others 404)."""
    report = await audience_reports.cooperative_report(
        session, cache, user=user, cooperative_id=cooperative_id, year=year
    )
    return render(request, "impact/show_cooperative.html", {"report": report})


@router.get("/org/{organization_id}/", response_class=HTMLResponse)
async def show_organization(
    request: Request,
    session: DbSession,
    user: PageUser,
    organization_id: str,
    year: Year = None,
) -> Response:
    """An organisation's dashboard for its members (and operators; others 404): the year's
    target, progress and purchases per month and per origin county, from the ledger."""
    organization = await access.member_organization(
        session, user=user, organization_id=page_id(organization_id)
    )
    chosen = year or reports.current_year()
    report = await audience_reports.organization_purchases(session, organization, chosen)
    months, running = await audience_reports.organization_months(session, organization.id, chosen)
    context = await menu_context(session, organization=organization, user=user, current="dashboard")
    context.update(
        {
            "organization": organization_service.organization_view(organization),
            "report": report,
            "months": months,
            "running": running,
            "years": sorted({*range(2021, reports.current_year() + 2), chosen}, reverse=True),
        }
    )
    return render(request, "organization/show_dashboard.html", context)
