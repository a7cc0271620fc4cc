"""Errors of the cooperative domain."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound

# Field problems are the platform's; named here too for the domain's callers.
from app.core.errors import FieldProblem as FieldProblem
from app.core.errors import InvalidFields as InvalidFields


class CooperativeNotFound(NotFound):
    code = "cooperative_not_found"


class SupplierNotSelling(Conflict):
    """Only verified suppliers sell: pending, suspended or rejected ones do not."""

    code = "supplier_not_verified"


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
