"""Use cases of the impact domain that routes call besides the reports: the pairing exports and
an organisation's designated counties (定点帮扶)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.core.clock import china_date, utcnow
from app.core.fields import MAX_ID
from app.core.sheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from app.impact import cache, exports, reports, repository
from app.impact.cache import ReportCache
from app.impact.errors import InvalidCountyCodes, OrganizationNotFound
from app.impact.schemas import DesignatedCountiesOut, DesignatedPairingOut
from app.regions.models import AreaKind, HelperKind, Pairing, PairingArea, PairingKind

ExportFormat = Literal["csv", "xlsx"]
_MEDIA_TYPES = {"csv": CSV_MEDIA_TYPE, "xlsx": XLSX_MEDIA_TYPE}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: bytes


async def export_pairings(
    session: AsyncSession,
    report_cache: ReportCache,
    *,
    fmt: ExportFormat,
    year: int | None = None,
    kind: PairingKind | None = None,
    province: str | None = None,
) -> ExportFile:
    """The pairing report of a year as a CSV or XLSX file (kept in the report cache until
    the ledger changes)."""
    chosen = year or reports.current_year()

    async def build() -> ExportFile:
        report = await reports.pairing_report(session, year=chosen, kind=kind, province=province)
        content = exports.to_csv(report) if fmt == "csv" else exports.to_xlsx(report)
        scope = f"-{province}" if province else ""
        return ExportFile(
            filename=f"fengshou-impact-pairings-{report.year}{scope}.{fmt}",
            media_type=_MEDIA_TYPES[fmt],
            content=content,
        )

    return await report_cache.cached(session, ("export", fmt, chosen, kind, province), build)


async def export_key_assistance(
    session: AsyncSession,
    report_cache: ReportCache,
    *,
    fmt: ExportFormat,
    year: int | None = None,
    province: str | None = None,
) -> ExportFile:
    """The key-assistance counties of a year (of a province) as a CSV or XLSX file."""
    chosen = year or reports.current_year()

    async def build() -> ExportFile:
        report = await reports.key_assistance_report(session, year=chosen, province=province)
        content = (
            exports.key_assistance_csv(report)
            if fmt == "csv"
            else exports.key_assistance_xlsx(report)
        )
        scope = f"-{province}" if province else ""
        return ExportFile(
            filename=f"fengshou-key-assistance-{chosen}{scope}.{fmt}",
            media_type=_MEDIA_TYPES[fmt],
            content=content,
        )

    return await report_cache.cached(
        session, ("export_key_assistance", fmt, chosen, province), build
    )


# ---------------------------------------------------------------------------------------------
# Designated counties


def _county_codes(pairing: Pairing) -> set[str]:
    return {area.code for area in pairing.areas if area.area_kind == AreaKind.COUNTY}


async def _check_codes(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    """Known county codes → names; 422 naming each entry that is not one."""
    wanted = {c for c in codes if reports.is_region_code(c)}
    names = await repository.county_names(session, wanted)
    problems = {
        f"county_codes.{i}": "not a county code" if code not in wanted else "unknown county"
        for i, code in enumerate(codes)
        if code not in names
    }
    if problems:
        raise InvalidCountyCodes(problems)
    return names


async def replace_designated_counties(
    session: AsyncSession, *, organization_id: int, county_codes: Sequence[str], actor: User
) -> DesignatedCountiesOut:
    """Make `county_codes` the organisation's designated counties (an operator's act; audited).

    One designated pairing per county, helped province = the county's. Changes count from the
    next China day, so that every entry of a day is attributed under one rule (and reconcile,
    which applies the date rule, agrees): a county removed stays in force until today, a county
    added is in force from tomorrow. Pairings that never came into force are deleted; no entry
    can count for them. The history of the others is kept, for entries that counted for them.
    """
    organization = (
        await repository.get_organization(session, organization_id)
        if 1 <= organization_id <= MAX_ID
        else None
    )
    if organization is None:
        raise OrganizationNotFound(organization_id)
    names = await _check_codes(session, county_codes)
    desired = set(county_codes)
    today = china_date(utcnow())
    tomorrow = today + timedelta(days=1)
    existing = await repository.designated_pairings(session, organization.id)
    live = [p for p in existing if p.until is None or p.until >= today]
    before = sorted(set().union(*(_county_codes(p) for p in live)))
    kept: set[str] = set()
    for pairing in live:
        counties = _county_codes(pairing)
        whole_counties = all(area.area_kind == AreaKind.COUNTY for area in pairing.areas)
        if counties and whole_counties and counties <= desired:
            pairing.until = None
            kept |= counties
        elif pairing.since is not None and pairing.since > today:
            await session.delete(pairing)
        else:
            pairing.until = today
    province_of = await repository.counties(session, desired - kept)
    for code in sorted(desired - kept):
        session.add(
            Pairing(
                kind=PairingKind.DESIGNATED,
                helper_kind=HelperKind.ORGANIZATION,
                helper_organization_id=organization.id,
                helper_area=organization.name[:100],
                helped_province_code=province_of[code].province_code,
                since=tomorrow,
                note="designated county set by an operator",
                areas=[PairingArea(area_kind=AreaKind.COUNTY, code=code)],
            )
        )
    await session.flush()
    cache.clear(session)  # the pairings reports show have changed
    await audit.record(
        session,
        actor_user_id=actor.id,
        action="impact.designated_counties",
        entity_kind="organization",
        entity_id=organization.id,
        before={"county_codes": before},
        after={"county_codes": sorted(desired)},
    )
    current = [
        p
        for p in await repository.designated_pairings(session, organization.id)
        if p.until is None or p.until >= today
    ]
    all_names = {
        **names,
        **await repository.county_names(session, set().union(*map(_county_codes, current))),
    }
    return DesignatedCountiesOut(
        organization_id=organization.id,
        county_codes=sorted(desired),
        pairings=[
            DesignatedPairingOut(
                pairing_id=p.id,
                county_code=code,
                county_name=all_names.get(code, code),
                since=p.since,
                until=p.until,
            )
            for p in current
            for code in sorted(_county_codes(p))
        ],
    )
