"""Hand-written field checks both kinds of account holder (suppliers, organisations) share:
each bad field is recorded as a FieldProblem, so that one answer names them all."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from app.core.errors import FieldProblem, InvalidFields
from app.core.fields import has_control_characters
from app.core.identifiers import CreditCodeError, parse_credit_code

# A supplier's or an organisation's name.
NAME_MIN_LENGTH = 2
NAME_MAX_LENGTH = 100
REASON_MAX_LENGTH = 500

Kind = TypeVar("Kind", bound=StrEnum)


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


def check_name(raw: str | None, problems: dict[str, FieldProblem]) -> str | None:
    """The registered name of a supplier or an organisation, or None with a problem recorded."""
    return check_text(
        raw,
        "name",
        problems,
        code="invalid_name",
        min_length=NAME_MIN_LENGTH,
        max_length=NAME_MAX_LENGTH,
        label="The name",
    )


def check_kind(raw: str, kinds: type[Kind], problems: dict[str, FieldProblem]) -> Kind | None:
    try:
        return kinds(raw)
    except ValueError:
        named = ", ".join(kind.value for kind in kinds)
        problems["kind"] = FieldProblem("invalid_kind", f"The kind is one of: {named}.")
        return None


def check_credit_code(
    raw: str,
    kind: Kind | None,
    problems: dict[str, FieldProblem],
    *,
    prefixes: Mapping[Kind, tuple[str, ...]],
    holder: str,
) -> str | None:
    """The credit code as stored, or None with a problem recorded; `prefixes` are the first two
    characters each kind may have, `holder` says who has one ("A supplier")."""
    try:
        parsed = parse_credit_code(raw)
    except CreditCodeError as exc:
        problems["credit_code"] = FieldProblem("invalid_credit_code", str(exc), exc.reason)
        return None
    if kind is not None and parsed.prefix not in prefixes[kind]:
        expected = " or ".join(prefixes[kind])
        problem = FieldProblem(
            "credit_code_kind_mismatch",
            f"{holder} of kind {kind.value} has a credit code starting with {expected}, "
            f"not {parsed.prefix}.",
            parsed.prefix,
        )
        problems["credit_code"] = problem
        problems["kind"] = problem
        return None
    return parsed.code


def check_reason(
    raw: str | None, *, required: bool, invalid: type[InvalidFields] = InvalidFields
) -> str | None:
    """The stripped reason (None if empty and optional), or `invalid` naming the problem."""
    text = (raw or "").strip()
    if not text:
        if required:
            raise invalid(
                {"reason": FieldProblem("reason_required", "Give the reason for this action.")}
            )
        return None
    if has_control_characters(text, multiline=True):
        problem = FieldProblem("invalid_reason", "The reason has control characters.")
    elif len(text) > REASON_MAX_LENGTH:
        problem = FieldProblem(
            "reason_too_long", f"The reason has at most {REASON_MAX_LENGTH} characters."
        )
    else:
        return text
    raise invalid({"reason": problem})
