"""Errors of the account domain, each a DomainError with its HTTP status and code."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed


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


class CurrentPasswordWrong(ValidationFailed):
    """A password change whose current password does not match."""

    code = "wrong_password"

    def __init__(self) -> None:
        super().__init__(
            "The current password is incorrect.",
            fields={"current_password": "The current password is incorrect."},
        )


class ApiTokenNotFound(NotFound):
    """No such unexpired API token of the caller's (another user's is not revealed)."""

    code = "token_not_found"

    def __init__(self, token_id: int) -> None:
        super().__init__(f"You have no API token with id {token_id}.")
        self.token_id = token_id


class InvitationNotFound(NotFound):
    """No such invitation for the caller: another address's, answered, expired or unknown alike
    (an invitation's existence is not revealed to anyone but its addressee)."""

    code = "invitation_not_found"

    def __init__(self, invitation_id: int) -> None:
        super().__init__(f"No open invitation with id {invitation_id} for you.")
        self.invitation_id = invitation_id


class AlreadyMember(Conflict):
    """The address belongs to a member already: change their role instead. (Members are listed
    to the inviter anyway, so this reveals nothing about who is registered.)"""

    code = "already_member"

    def __init__(self) -> None:
        super().__init__(
            "This e-mail address belongs to a member already; change their role instead.",
            fields={"email": "Already a member."},
        )
