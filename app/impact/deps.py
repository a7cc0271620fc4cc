"""Dependencies of the impact routes: who may change designated counties and see region pages,
and the reporting year every report takes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from app.account.deps import require_page_role, require_role
from app.account.models import Role, User
from app.impact.schemas import YEAR_MAX, YEAR_MIN

Operator = Annotated[User, Depends(require_role(Role.OPERATOR))]
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
ProvinceCode = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{6}$",
        description="Six-digit province code: only pairings in which it helps or is helped",
    ),
]
