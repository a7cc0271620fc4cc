"""Errors of the account domain, each a DomainError with its HTTP status and code."""

from __future__ import annotations

from app.core.errors import Conflict, Unauthorized


class EmailTaken(Conflict):
    """Another account already uses this e-mail address (compared lower-cased)."""

    code = "email_taken"

    def __init__(self, email: str) -> None:
        super().__init__(
            "An account with this e-mail address already exists.",
            fields={"email": "This e-mail address is already registered."},
        )
        self.email = email


class InvalidCredentials(Unauthorized):
    """The one answer for an unknown e-mail, a wrong password and a deactivated account."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The e-mail address or the password is incorrect.")
