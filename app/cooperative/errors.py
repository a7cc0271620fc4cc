"""Errors of the cooperative domain."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound


class CooperativeNotFound(NotFound):
    code = "cooperative_not_found"


class SupplierNotSelling(Conflict):
    """Only verified suppliers sell: pending, suspended or rejected ones do not."""

    code = "supplier_not_verified"
