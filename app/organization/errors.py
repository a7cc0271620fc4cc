"""Errors of the organisation domain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed


class OrganizationNotFound(NotFound):
    """No such organisation, or one the caller may not see (both answer alike: 404)."""

    code = "organization_not_found"

    def __init__(self, organization_id: int) -> None:
        super().__init__(f"No organisation with id {organization_id}.")
        self.organization_id = organization_id


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field: a snake_case code, an English message for the API and,
    where a field can fail in several ways, the finer reason (the pages word each one)."""

    code: str
    message: str
    detail: str | None = None


class InvalidOrganizationFields(ValidationFailed):
    """One or more fields break a rule: the code names the problem when there is one kind
    ("invalid_credit_code", "reserved_share_too_low"), else "validation_failed"."""

    def __init__(self, problems: Mapping[str, FieldProblem]) -> None:
        codes = {problem.code for problem in problems.values()}
        code = codes.pop() if len(codes) == 1 else "validation_failed"
        if len(problems) == 1:
            message = next(iter(problems.values())).message
        else:
            message = f"Some fields are invalid: {', '.join(problems)}."
        super().__init__(
            message,
            code=code,
            fields={name: problem.message for name, problem in problems.items()},
        )
        self.problems: dict[str, FieldProblem] = dict(problems)


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
