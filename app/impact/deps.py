"""Dependencies of the impact routes: who may change designated counties and see region pages,
the reporting year every report takes, the pairing report's filters and the app's report cache."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from app.account.deps import Operator as Operator
from app.account.deps import require_page_role
from app.account.models import Role, User
from app.core.errors import ValidationFailed
from app.impact.cache import ReportCache, report_cache
from app.impact.schemas import YEAR_MAX, YEAR_MIN
from app.regions.models import PairingKind

# Officials see their province; operators see every one.
PageRegionViewer = Annotated[
    User, Depends(require_page_role(Role.REGIONAL_OFFICIAL, Role.OPERATOR))
]

Year = Annotated[
    int | None,
    Query(
        ge=YEAR_MIN,
        le=YEAR_MAX,
        description="Reporting year in China Standard Time (default: the current one)",
    ),
]


async def _year_or_every(
    year: Annotated[
        str | None,
        Query(
            pattern=r"^([0-9]{4})?$",
            description="Reporting year in China Standard Time; empty or absent: every year",
        ),
    ] = None,
) -> int | None:
    """A page's year choice where "every year" is an option: the year picker's empty value."""
    if not year:
        return None
    if not YEAR_MIN <= int(year) <= YEAR_MAX:
        raise ValidationFailed(
            f"The year must lie between {YEAR_MIN} and {YEAR_MAX}.",
            code="invalid_year",
            fields={"year": f"a year from {YEAR_MIN} to {YEAR_MAX}"},
        )
    return int(year)


# A year, or None for every year (the picker of 我的帮扶 offers "全部年份").
YearOrEvery = Annotated[int | None, Depends(_year_or_every)]
ProvinceCode = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{6}$",
        description="Six-digit province code: only pairings in which it helps or is helped",
    ),
]

Kind = Annotated[PairingKind | None, Query(description="Only pairings of this kind")]


@dataclass(frozen=True)
class PairingFilters:
    """The pairing report's query, as its JSON, CSV and Excel routes take it."""

    year: int | None
    kind: PairingKind | None
    province: str | None


async def _pairing_filters(
    year: Year = None, kind: Kind = None, province: ProvinceCode = None
) -> PairingFilters:
    return PairingFilters(year, kind, province)


PairingQuery = Annotated[PairingFilters, Depends(_pairing_filters)]


async def _report_cache(request: Request) -> ReportCache:
    return report_cache(request.app.state.caches)


# The app's computed reports (app.impact.cache), kept until the ledger changes.
Reports = Annotated[ReportCache, Depends(_report_cache)]
