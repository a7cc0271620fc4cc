"""Signed API tokens, session cookies and CSRF tokens (password hashing lives in account)."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.core.errors import Forbidden

CSRF_SESSION_KEY = "csrf"
CSRF_FORM_FIELD = "csrf_token"
SESSION_USER_KEY = "uid"


class TokenSigner:
    """Stateless bearer tokens: a signed, timestamped user id."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="fengshou.api-token")
        self._ttl = ttl_seconds

    def issue(self, user_id: int) -> str:
        return self._serializer.dumps({"uid": user_id})

    def read(self, token: str) -> int | None:
        """The user id in a valid, unexpired token, else None."""
        try:
            data: Any = self._serializer.loads(token, max_age=self._ttl)
        except (BadSignature, SignatureExpired):
            return None
        uid = data.get("uid") if isinstance(data, dict) else None
        return uid if isinstance(uid, int) else None


def _session(request: Request) -> dict[str, Any] | None:
    return request.session if "session" in request.scope else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    session = _session(request)
    if session is None:
        return ""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


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


def log_in_session(request: Request, user_id: int) -> None:
    """Bind the session to a user, with a fresh CSRF token (no session fixation)."""
    session = request.session
    session.clear()
    session[SESSION_USER_KEY] = user_id
    session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)


def log_out_session(request: Request) -> None:
    request.session.clear()


def session_user_id(request: Request) -> int | None:
    session = _session(request)
    uid = session.get(SESSION_USER_KEY) if session is not None else None
    return uid if isinstance(uid, int) else None
