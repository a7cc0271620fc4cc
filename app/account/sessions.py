"""Sign-ins that last, kept server-side so that they can be ended: browser sessions (the
cookie holds the secret) and API tokens (the bearer is the secret). They flush, never commit.

A secret is 32 random bytes; only its SHA-256 is stored, so the table cannot be replayed if
it leaks. Looking one up is one query that also loads the user, the same cost as the lookup
by user id a signed-in request made before; anonymous requests carry no secret and cost none.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.account import repository
from app.account.errors import ApiTokenNotFound
from app.account.models import AuthSession, SessionKind, User
from app.core.clock import utcnow

# API tokens say what they are (secret scanners, logs); browser secrets never leave the cookie.
API_TOKEN_PREFIX = "fsk_"  # noqa: S105  (a prefix, not a secret)
# A secret longer than this is no secret of ours: refused before it is hashed.
SECRET_MAX_LENGTH = 200
# Each user keeps at most this many of each kind: a script that asks for a token on every
# run pushes its oldest out rather than growing the table without bound.
MAX_PER_KIND = 50
TOKEN_NAME_MAX_LENGTH = 100


@dataclass(frozen=True)
class Issued:
    """A new session or token: its id, and the secret the client keeps (shown only once)."""

    id: int
    secret: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """Who a valid secret names, and which of their sessions or tokens it is."""

    user: User
    session_id: int


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def _start(
    session: AsyncSession,
    user: User,
    kind: SessionKind,
    *,
    ttl_seconds: int,
    name: str | None = None,
) -> Issued:
    now = utcnow()
    await repository.prune_user_sessions(session, user.id, kind, now, keep=MAX_PER_KIND - 1)
    prefix = API_TOKEN_PREFIX if kind == SessionKind.API_TOKEN else ""
    secret = prefix + secrets.token_urlsafe(32)
    row = AuthSession(
        user_id=user.id,
        kind=kind,
        secret_hash=secret_hash(secret),
        name=name,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    session.add(row)
    await session.flush()
    return Issued(row.id, secret, row.expires_at)


async def start_browser_session(session: AsyncSession, user: User, *, ttl_seconds: int) -> Issued:
    """A new page session for the user (at sign-in, sign-up and a password change)."""
    return await _start(session, user, SessionKind.BROWSER, ttl_seconds=ttl_seconds)


async def issue_api_token(
    session: AsyncSession,
    user: User,
    *,
    ttl_seconds: int,
    name: str | None = None,
) -> Issued:
    """A new API token; `name` labels it in the user's list."""
    label = (name or "").strip()[:TOKEN_NAME_MAX_LENGTH] or None
    return await _start(session, user, SessionKind.API_TOKEN, ttl_seconds=ttl_seconds, name=label)


async def signed_in(
    session: AsyncSession, secret: str | None, kind: SessionKind
) -> SignedIn | None:
    """The active user of an unexpired session or token with this secret, else None."""
    if not secret or len(secret) > SECRET_MAX_LENGTH:
        return None
    found = await repository.live_session(session, secret_hash(secret), kind, utcnow())
    if found is None or not found[1].is_active:
        return None
    return SignedIn(found[1], found[0])


async def end_browser_session(session: AsyncSession, user: User, session_id: int) -> None:
    """Sign-out: the session is gone, and with it every copy of its cookie."""
    await repository.delete_session(session, session_id, user_id=user.id, kind=SessionKind.BROWSER)


async def end_all_sessions(session: AsyncSession, user: User) -> int:
    """Sign out everywhere: every browser session and API token of the user ends."""
    return await repository.delete_user_sessions(session, user.id)


async def api_tokens(session: AsyncSession, user: User) -> Sequence[AuthSession]:
    """The user's unexpired API tokens, newest first."""
    return await repository.user_sessions(
        session, user.id, SessionKind.API_TOKEN, utcnow(), limit=MAX_PER_KIND
    )


async def revoke_api_token(session: AsyncSession, user: User, token_id: int) -> None:
    """End one of the user's API tokens; ApiTokenNotFound for anyone else's or an unknown id."""
    if not await repository.delete_session(
        session, token_id, user_id=user.id, kind=SessionKind.API_TOKEN
    ):
        raise ApiTokenNotFound(token_id)
