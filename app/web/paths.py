"""Ids in page paths: taken as text, so that a path that names no record is a 404 page."""

from __future__ import annotations

import re

from app.core.errors import NotFound

# At most 18 digits: every such number is below the largest id (app.core.fields.MAX_ID).
_PAGE_ID = re.compile(r"[1-9][0-9]{0,17}")


def is_page_id(text: str) -> bool:
    """Whether the text is an id as pages write it (in a path or a form's hidden field)."""
    return _PAGE_ID.fullmatch(text) is not None


def page_id(text: str) -> int:
    """A path id; anything that is not one is a page that does not exist."""
    if not is_page_id(text):
        raise NotFound("No such page.")
    return int(text)
