"""The responses pages answer with besides a rendered template."""

from __future__ import annotations

from fastapi.responses import RedirectResponse


def see_other(location: str) -> RedirectResponse:
    """After a form is handled: go (GET) to the page that shows the outcome."""
    return RedirectResponse(location, status_code=303)
