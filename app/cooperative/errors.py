"""Errors of the cooperative domain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed


class CooperativeNotFound(NotFound):
    code = "cooperative_not_found"


class SupplierNotSelling(Conflict):
    """Only verified suppliers sell: pending, suspended or rejected ones do not."""

    code = "supplier_not_verified"


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field: a snake_case code, an English message for the API and,
    where a field can fail in several ways, the finer reason (the pages word each one)."""

    code: str
    message: str
    detail: str | None = None


class InvalidFields(ValidationFailed):
    """One or more fields break a rule. The error's code names the problem when there is one
    kind of problem ("invalid_credit_code"), else it is "validation_failed"; `fields` holds a
    message per field and `problems` the structured reasons."""

    def __init__(self, problems: Mapping[str, FieldProblem]) -> None:
        codes = {problem.code for problem in problems.values()}
        code = codes.pop() if len(codes) == 1 else "validation_failed"
        names = ", ".join(problems)
        super().__init__(
            f"Some fields are invalid: {names}.",
            code=code,
            fields={name: problem.message for name, problem in problems.items()},
        )
        self.problems: dict[str, FieldProblem] = dict(problems)


class CreditCodeTaken(Conflict):
    """Another supplier is registered with this credit code."""

    code = "credit_code_taken"

    def __init__(self, credit_code: str) -> None:
        super().__init__(
            f"A supplier with the credit code {credit_code} is already registered.",
            fields={"credit_code": "This credit code is already registered."},
        )


class InvalidStatusTransition(Conflict):
    code = "invalid_status_transition"

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"A {status} supplier cannot be given the action {action!r}.")
        self.action = action
        self.status = status


class SupplierAdminRequired(Forbidden):
    """A member (not an admin) tried to manage the supplier's members."""

    code = "supplier_admin_required"

    def __init__(self) -> None:
        super().__init__("Only the supplier's admins can manage its members.")


class MemberNotFound(NotFound):
    code = "member_not_found"

    def __init__(self, user_id: int) -> None:
        super().__init__(f"User {user_id} is not a member of this supplier.")


class LastAdmin(Conflict):
    """A supplier always keeps at least one admin."""

    code = "last_admin"

    def __init__(self) -> None:
        super().__init__("This is the supplier's last admin; make another member an admin first.")
