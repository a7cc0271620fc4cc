"""Checks the order use cases share: free text, ids and page numbers."""

from __future__ import annotations

from app.core.fields import MAX_ID
from app.core.fields import has_control_characters as _unprintable

MAX_PER_PAGE = 100
MAX_PAGE = 100_000


Problems = dict[str, tuple[str, str]]


def check_text(
    raw: str, field: str, problems: Problems, *, code: str, min_length: int, max_length: int
) -> str:
    text = raw.strip()
    if _unprintable(text):
        problems[field] = (code, "contains control characters")
    elif not min_length <= len(text) <= max_length:
        problems[field] = (code, f"between {min_length} and {max_length} characters")
    return text


def check_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


def check_paging(page: int, per_page: int, problems: Problems) -> None:
    """A page number and size within bounds, else a problem on each."""
    if not 1 <= page <= MAX_PAGE:
        problems["page"] = ("invalid_page", f"between 1 and {MAX_PAGE}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        problems["per_page"] = ("invalid_page", f"between 1 and {MAX_PER_PAGE}")
