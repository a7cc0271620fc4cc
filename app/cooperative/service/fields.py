"""Hand-written checks of the fields a supplier's application, an invitation and an operator's
reason carry: each bad field is recorded as a FieldProblem, so that one answer names them all."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.cooperative import repository
from app.cooperative.errors import CooperativeNotFound, FieldProblem, InvalidFields
from app.cooperative.models import SupplierKind
from app.cooperative.schemas import MAX_HOUSEHOLDS
from app.core.fields import MAX_ID, has_control_characters
from app.core.identifiers import CreditCodeError, normalize_phone, parse_credit_code
from app.regions.models import County
from app.regions.service import is_region_code

# Ids are BIGINT; a larger number in a URL names nothing (and must not reach the database).
NAME_MIN_LENGTH = 2
NAME_MAX_LENGTH = 100
CONTACT_NAME_MAX_LENGTH = 50
RECOMMENDATION_REF_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 500

# The first two characters of the credit code each kind of supplier must have: farmers'
# cooperatives register as 93, enterprises as 91, family farms as individual businesses (92)
# or as enterprises (91).
KIND_PREFIXES: dict[SupplierKind, tuple[str, ...]] = {
    SupplierKind.COOPERATIVE: ("93",),
    SupplierKind.ENTERPRISE: ("91",),
    SupplierKind.FAMILY_FARM: ("92", "91"),
}


def check_text(
    raw: str | None,
    field: str,
    problems: dict[str, FieldProblem],
    *,
    code: str,
    min_length: int,
    max_length: int,
    label: str,
    multiline: bool = False,
) -> str | None:
    """The stripped text (None if empty and optional), or None with a problem recorded."""
    text = (raw or "").strip()
    if not text and min_length == 0:
        return None
    if has_control_characters(text, multiline=multiline):
        problems[field] = FieldProblem(code, f"{label} contains control characters.", "charset")
        return None
    if not min_length <= len(text) <= max_length:
        problems[field] = FieldProblem(
            code,
            f"{label} has between {min_length} and {max_length} characters.",
            "length",
        )
        return None
    return text


def check_kind(raw: str, problems: dict[str, FieldProblem]) -> SupplierKind | None:
    try:
        return SupplierKind(raw)
    except ValueError:
        kinds = ", ".join(kind.value for kind in SupplierKind)
        problems["kind"] = FieldProblem("invalid_kind", f"The kind is one of: {kinds}.")
        return None


def check_credit_code(
    raw: str, kind: SupplierKind | None, problems: dict[str, FieldProblem]
) -> str | None:
    try:
        parsed = parse_credit_code(raw)
    except CreditCodeError as exc:
        problems["credit_code"] = FieldProblem("invalid_credit_code", str(exc), exc.reason)
        return None
    if kind is not None and parsed.prefix not in KIND_PREFIXES[kind]:
        expected = " or ".join(KIND_PREFIXES[kind])
        problem = FieldProblem(
            "credit_code_kind_mismatch",
            f"A supplier of kind {kind.value} has a credit code starting with {expected}, "
            f"not {parsed.prefix}.",
            parsed.prefix,
        )
        problems["credit_code"] = problem
        problems["kind"] = problem
        return None
    return parsed.code


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
    problems: dict[str, FieldProblem] = {}
    text = (raw or "").strip()
    if not text:
        if required:
            raise InvalidFields(
                {"reason": FieldProblem("reason_required", "Give the reason for this action.")}
            )
        return None
    if has_control_characters(text, multiline=True):
        problems["reason"] = FieldProblem("invalid_reason", "The reason has control characters.")
    elif len(text) > REASON_MAX_LENGTH:
        problems["reason"] = FieldProblem(
            "reason_too_long", f"The reason has at most {REASON_MAX_LENGTH} characters."
        )
    if problems:
        raise InvalidFields(problems)
    return text


def check_id(cooperative_id: int) -> None:
    if not 1 <= cooperative_id <= MAX_ID:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
