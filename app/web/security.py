"""The session cookie and CSRF tokens. The cookie is signed and holds the CSRF token and, once
signed in, the secret of a server-side session (kept by the account domain, which also hashes
passwords and issues API tokens)."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request

from app.core.errors import Forbidden

CSRF_SESSION_KEY = "csrf"
CSRF_FORM_FIELD = "csrf_token"
SESSION_SECRET_KEY = "sid"  # noqa: S105  (the key in the cookie, not a secret)
_CSRF_TOKEN_BYTES = 32
# Every token's length in characters (URL-safe base64, no padding): kept pages are compressed
# around it once (app.web.fragments).
CSRF_TOKEN_LENGTH = len(secrets.token_urlsafe(_CSRF_TOKEN_BYTES))


def _session(request: Request) -> dict[str, Any] | None:
    return request.session if "session" in request.scope else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    session = _session(request)
    if session is None:
        return ""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str):
        token = session[CSRF_SESSION_KEY] = new_csrf_token()
    return token


def new_csrf_token() -> str:
    """A token of CSRF_TOKEN_LENGTH characters that escaping leaves as it is."""
    return secrets.token_urlsafe(_CSRF_TOKEN_BYTES)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form whose token does not match the session's."""
    session = _session(request)
    expected = session.get(CSRF_SESSION_KEY) if session is not None else None
    if (
        not isinstance(expected, str)
        or not submitted
        or not hmac.compare_digest(expected, submitted)
    ):
        raise Forbidden(
            "The form has expired or did not come from this site; reload and try again.",
            code="csrf_failed",
        )


def log_in_session(request: Request, secret: str) -> None:
    """Bind the cookie to a server-side session, with a fresh CSRF token (no session fixation)."""
    session = request.session
    session.clear()
    session[SESSION_SECRET_KEY] = secret
    session[CSRF_SESSION_KEY] = secrets.token_urlsafe(_CSRF_TOKEN_BYTES)


def log_out_session(request: Request) -> None:
    request.session.clear()


def forget_session_secret(request: Request) -> None:
    """Drop a secret the server no longer knows (ended elsewhere, expired); keep the CSRF token."""
    session = _session(request)
    if session is not None:
        session.pop(SESSION_SECRET_KEY, None)


def session_secret(request: Request) -> str | None:
    """The secret of the server-side session the cookie names, if it names one."""
    session = _session(request)
    secret = session.get(SESSION_SECRET_KEY) if session is not None else None
    return secret if isinstance(secret, str) else None
