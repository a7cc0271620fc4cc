"""Ids in page paths: taken as text, so that a path that names no record is a 404 page."""

from __future__ import annotations

from app.core.errors import NotFound
from app.core.fields import parse_id


def is_page_id(text: str) -> bool:
    """Whether the text is an id as pages write it (in a path or a form's hidden field)."""
    return parse_id(text) is not None


def page_id(text: str) -> int:
    """A path id; anything that is not one (or is beyond the largest id) is a page that does
    not exist."""
    value = parse_id(text)
    if value is None:
        raise NotFound("No such page.")
    return value
