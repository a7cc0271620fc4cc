"""Errors of the organisation domain."""

from __future__ import annotations

from app.core.errors import NotFound


class OrganizationNotFound(NotFound):
    """No such organisation, or one the caller may not see (both answer alike: 404)."""

    code = "organization_not_found"

    def __init__(self, organization_id: int) -> None:
        super().__init__(f"No organisation with id {organization_id}.")
        self.organization_id = organization_id
