"""Request and response bodies of the account API, tokens and invitations included."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RegisterRequest(BaseModel):
    """Fields are checked by the service, so that the API and the pages share the same rules."""

    email: str = Field(examples=["buyer@example.com"])
    password: str = Field(examples=["correct horse battery staple"])
    display_name: str = Field(examples=["张三"])


class TokenRequest(BaseModel):
    email: str = Field(examples=["buyer@example.com"])
    password: str
    name: str | None = Field(
        default=None,
        max_length=100,
        description="A label for the token in the user's list of tokens",
        examples=["ERP 对接"],
    )


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  (a token type, not a secret)
    expires_in: int = Field(description="Seconds until the token expires")
    token_id: int = Field(description="The token's id in GET /me/tokens, to revoke it by")


class ApiTokenOut(BaseModel):
    """One of the user's API tokens, without its secret."""

    id: int
    name: str | None
    created_at: datetime
    expires_at: datetime
    current: bool = Field(description="Whether this request was made with this token")


class PasswordChangeRequest(BaseModel):
    current_password: str
    new_password: str = Field(description="8–256 characters")
    token_name: str | None = Field(
        default=None, max_length=100, description="A label for the new token that is returned"
    )


class UserOut(BaseModel):
    """The signed-in user as /me shows it, with the scopes of their roles."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    roles: list[str] = Field(description="Role codes, each once")
    cooperative_ids: list[int] = Field(description="Cooperatives the user is a member of")
    organization_ids: list[int] = Field(description="Organisations the user belongs to")


InvitationScopeName = Literal["cooperative", "organization"]
InvitationStatusName = Literal["pending", "accepted", "declined", "revoked", "expired"]
# A role as its scope calls it: suppliers have members and admins, organisations buyers,
# approvers and admins.
MemberRoleName = Literal["member", "buyer", "approver", "admin"]


class MemberIdentity(BaseModel):
    """Who a member of a supplier or an organisation is; each domain adds the member's role."""

    user_id: int
    email: str
    display_name: str


class InvitationCreated(BaseModel):
    """The one answer to an invitation, whether or not the address is registered."""

    invitation_id: int


class InvitationOut(BaseModel):
    """An invitation as its addressee and the scope's admins see it."""

    id: int
    email: str
    scope_kind: InvitationScopeName
    scope_id: int
    scope_name: str
    role: MemberRoleName
    status: InvitationStatusName = Field(description="`expired` once past expires_at unanswered")
    inviter_name: str | None
    expires_at: datetime
    created_at: datetime
