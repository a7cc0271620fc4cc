"""Request and response bodies of the account API."""

from __future__ import annotations

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


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  (a token type, not a secret)
    expires_in: int = Field(description="Seconds until the token expires")


class UserOut(BaseModel):
    """The signed-in user as /me shows it, with the scopes of their roles."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    roles: list[str] = Field(description="Role codes, each once")
    cooperative_ids: list[int] = Field(description="Cooperatives the user is a member of")
    organization_ids: list[int] = Field(description="Organisations the user belongs to")
