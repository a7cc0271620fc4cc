"""Hand-written checks of the fields a supplier's application, an invitation and an operator's
reason carry: each bad field is recorded as a FieldProblem, so that one answer names them all."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.cooperative import repository
from app.cooperative.errors import CooperativeNotFound, FieldProblem
from app.cooperative.models import SupplierKind
from app.cooperative.schemas import MAX_HOUSEHOLDS
from app.core import field_checks
from app.core.field_checks import check_name as check_name
from app.core.field_checks import check_text as check_text
from app.core.fields import MAX_ID
from app.core.identifiers import normalize_phone
from app.regions.models import County
from app.regions.service import is_region_code

CONTACT_NAME_MAX_LENGTH = 50
RECOMMENDATION_REF_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000

# The first two characters of the credit code each kind of supplier must have: farmers'
# cooperatives register as 93, enterprises as 91, family farms as individual businesses (92)
# or as enterprises (91).
KIND_PREFIXES: dict[SupplierKind, tuple[str, ...]] = {
    SupplierKind.COOPERATIVE: ("93",),
    SupplierKind.ENTERPRISE: ("91",),
    SupplierKind.FAMILY_FARM: ("92", "91"),
}


def check_kind(raw: str, problems: dict[str, FieldProblem]) -> SupplierKind | None:
    return field_checks.check_kind(raw, SupplierKind, problems)


def check_credit_code(
    raw: str, kind: SupplierKind | None, problems: dict[str, FieldProblem]
) -> str | None:
    return field_checks.check_credit_code(
        raw, kind, problems, prefixes=KIND_PREFIXES, holder="A supplier"
    )


def check_phone(raw: str, problems: dict[str, FieldProblem]) -> str | None:
    try:
        return normalize_phone(raw)
    except ValueError as exc:
        problems["contact_phone"] = FieldProblem("invalid_phone", str(exc))
        return None


def check_households(value: int | None, problems: dict[str, FieldProblem]) -> int | None:
    # bool is an int in Python; a checkbox's True is no count of households.
    if value is None or isinstance(value, bool) or not 0 <= value <= MAX_HOUSEHOLDS:
        problems["households_supported"] = FieldProblem(
            "invalid_households_supported",
            f"The households supported are a whole number from 0 to {MAX_HOUSEHOLDS}.",
        )
        return None
    return value


async def check_county(
    session: AsyncSession,
    raw: str,
    problems: dict[str, FieldProblem],
    *,
    require_poverty_county: bool,
) -> County | None:
    code = raw.strip()
    # Anything but six ASCII digits names no county (and is not sent to the database).
    county = await repository.get_county(session, code) if is_region_code(code) else None
    if county is None:
        problems["county_code"] = FieldProblem(
            "unknown_county", "No county has this code (GB/T 2260, six digits)."
        )
        return None
    if require_poverty_county and not county.poverty_lifted:
        problems["county_code"] = FieldProblem(
            "county_not_poverty_lifted",
            f"{county.name} is not one of the poverty-lifted counties; suppliers must be "
            "registered in one.",
        )
        return None
    return county


def check_reason(raw: str | None, *, required: bool) -> str | None:
    return field_checks.check_reason(raw, required=required)


def check_id(cooperative_id: int) -> None:
    if not 1 <= cooperative_id <= MAX_ID:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
