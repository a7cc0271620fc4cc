"""Errors of the organisation domain."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import Conflict, Forbidden, InvalidFields, NotFound

# Field problems are the platform's; named here too for the domain's callers.
from app.core.errors import FieldProblem as FieldProblem


class OrganizationNotFound(NotFound):
    """No such organisation, or one the caller may not see (both answer alike: 404)."""

    code = "organization_not_found"

    def __init__(self, organization_id: int) -> None:
        super().__init__(f"No organisation with id {organization_id}.")
        self.organization_id = organization_id


class InvalidOrganizationFields(InvalidFields):
    """One or more fields break a rule: the code names the problem when there is one kind
    ("invalid_credit_code", "reserved_share_too_low"), else "validation_failed"."""

    @staticmethod
    def summary(problems: Mapping[str, FieldProblem]) -> str:
        """A single problem's own message; else which fields are invalid."""
        if len(problems) == 1:
            return next(iter(problems.values())).message
        return InvalidFields.summary(problems)


class CreditCodeTaken(Conflict):
    """Another organisation is registered with this credit code."""

    code = "credit_code_taken"

    def __init__(self, credit_code: str) -> None:
        super().__init__(
            f"An organisation with the credit code {credit_code} is already registered.",
            fields={"credit_code": "This credit code is already registered."},
        )


class InvalidStatusTransition(Conflict):
    code = "invalid_status_transition"

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"A {status} organisation cannot be given the action {action!r}.")
        self.action = action
        self.status = status


class OrganizationAdminRequired(Forbidden):
    """A member (not an admin) tried what only the organisation's admins may do."""

    code = "organization_admin_required"

    def __init__(self) -> None:
        super().__init__("Only the organisation's admins can do this.")


class MemberNotFound(NotFound):
    code = "member_not_found"

    def __init__(self, user_id: int) -> None:
        super().__init__(f"User {user_id} is not a member of this organisation.")


class LastAdmin(Conflict):
    """An organisation always keeps at least one admin."""

    code = "last_admin"

    def __init__(self) -> None:
        super().__init__(
            "This is the organisation's last admin; make another member an admin first."
        )
