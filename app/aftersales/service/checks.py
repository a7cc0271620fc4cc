"""Checks of what buyers, suppliers and operators type: reasons, return parcels, references."""

from __future__ import annotations

import re

from app.aftersales.errors import InvalidAfterSales
from app.aftersales.schemas import REASON_MAX_LENGTH
from app.core.fields import has_control_characters
from app.order.carriers import find_carrier

_TRACKING_NUMBER = re.compile(r"[A-Za-z0-9-]{4,60}")
_BANK_REFERENCE = re.compile(r"[A-Za-z0-9-]{4,60}")


def check_reason(raw: str, field: str = "reason") -> str:
    """1–500 printable characters (line breaks allowed), else 422."""
    reason = raw.strip()
    if not reason or len(reason) > REASON_MAX_LENGTH:
        raise InvalidAfterSales({field: f"1 to {REASON_MAX_LENGTH} characters"})
    if has_control_characters(reason, multiline=True):
        raise InvalidAfterSales({field: "contains control characters"})
    return reason


def check_return(carrier: str, tracking_number: str) -> tuple[str, str]:
    """A carrier of the list suppliers ship with (as it is stored) and a tracking number."""
    problems: dict[str, str] = {}
    known = find_carrier(carrier)
    if known is None:
        problems["carrier"] = "not a known carrier"
    number = tracking_number.strip()
    if not _TRACKING_NUMBER.fullmatch(number):
        problems["tracking_number"] = "4 to 60 characters of A–Z, a–z, 0–9 and -"
    if problems or known is None:
        raise InvalidAfterSales(problems)
    return known.name, number


def check_bank_reference(raw: str) -> str:
    reference = raw.strip()
    if not _BANK_REFERENCE.fullmatch(reference):
        raise InvalidAfterSales({"bank_reference": "4 to 60 characters of A–Z, a–z, 0–9 and -"})
    return reference
