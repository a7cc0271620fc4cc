"""Hand-written checks of the fields an organisation's registration, an operator's reason and a
yearly declaration carry: each bad field is recorded as a FieldProblem, so that one answer names
them all."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import field_checks
from app.core.clock import china_year, utcnow
from app.core.field_checks import check_name as check_name
from app.organization import repository
from app.organization.errors import FieldProblem, InvalidOrganizationFields
from app.organization.models import OrganizationKind
from app.regions.models import County

# Since 2021 budget units reserve at least 10 % of the canteen food budget (15 % encouraged).
MIN_SHARE_BP = 1000
MAX_SHARE_BP = 10_000
SUGGESTED_SHARE_BP = 1500
FIRST_TARGET_YEAR = 2021
# A hundred billion yuan: larger than any canteen budget, far inside BIGINT.
MAX_BUDGET_FEN = 10**13

# The first two characters of the credit code (GB 32100: registering authority and kind of
# entity) each kind of organisation has: organs of state register with the establishment
# office as 11 (13, 19 for other bodies it registers), public institutions as 12 (private
# non-enterprise units with civil affairs as 52, 53), enterprises with market regulation as 91,
# trade unions with the federation of trade unions as 81.
KIND_PREFIXES: dict[OrganizationKind, tuple[str, ...]] = {
    OrganizationKind.GOVERNMENT: ("11", "13", "19"),
    OrganizationKind.PUBLIC_INSTITUTION: ("12", "52", "53"),
    OrganizationKind.STATE_OWNED_ENTERPRISE: ("91",),
    OrganizationKind.TRADE_UNION: ("81",),
    OrganizationKind.ENTERPRISE: ("91",),
}


def check_kind(raw: str, problems: dict[str, FieldProblem]) -> OrganizationKind | None:
    return field_checks.check_kind(raw, OrganizationKind, problems)


def check_credit_code(
    raw: str, kind: OrganizationKind | None, problems: dict[str, FieldProblem]
) -> str | None:
    return field_checks.check_credit_code(
        raw, kind, problems, prefixes=KIND_PREFIXES, holder="An organisation"
    )


async def check_region(
    session: AsyncSession, raw: str, problems: dict[str, FieldProblem]
) -> County | None:
    code = (raw or "").strip()
    # Anything but six ASCII digits names no county (and is not sent to the database).
    valid = len(code) == 6 and code.isascii() and code.isdigit()
    county = await repository.get_county(session, code) if valid else None
    if county is None:
        problems["region_code"] = FieldProblem(
            "unknown_county", "No county has this code (GB/T 2260, six digits)."
        )
    return county


def check_reason(raw: str | None, *, required: bool) -> str | None:
    return field_checks.check_reason(raw, required=required, invalid=InvalidOrganizationFields)


def target_years() -> range:
    """The years a declaration may be made for: since the rule began, up to next year."""
    return range(FIRST_TARGET_YEAR, china_year(utcnow()) + 2)


def check_target(year: int, budget_fen: int | None, share_bp: int | None) -> tuple[int, int]:
    """(budget, share), or InvalidOrganizationFields naming each bad field. None stands for a
    value the page could not read as a number."""
    problems: dict[str, FieldProblem] = {}
    years = target_years()
    if year not in years:
        problems["year"] = FieldProblem(
            "invalid_year", f"Targets are declared for {years.start}–{years.stop - 1}."
        )
    if budget_fen is None or isinstance(budget_fen, bool) or not 0 <= budget_fen <= MAX_BUDGET_FEN:
        problems["canteen_budget_fen"] = FieldProblem(
            "invalid_budget",
            f"The canteen budget is a whole number of fen from 0 to {MAX_BUDGET_FEN}.",
        )
    if share_bp is None or isinstance(share_bp, bool):
        problems["reserved_share_bp"] = FieldProblem(
            "invalid_reserved_share", "The reserved share is a whole number of basis points."
        )
    elif share_bp < MIN_SHARE_BP:
        problems["reserved_share_bp"] = FieldProblem(
            "reserved_share_too_low",
            f"At least {MIN_SHARE_BP} basis points (10 %) of the canteen budget must be "
            f"reserved for products of poverty-lifted areas; {SUGGESTED_SHARE_BP} (15 %) "
            "is encouraged.",
        )
    elif share_bp > MAX_SHARE_BP:
        problems["reserved_share_bp"] = FieldProblem(
            "reserved_share_too_high",
            f"The reserved share is at most {MAX_SHARE_BP} basis points (100 %).",
        )
    if problems or budget_fen is None or share_bp is None:
        raise InvalidOrganizationFields(problems)
    return budget_fen, share_bp
