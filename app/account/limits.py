"""Sign-in and sign-up limits, for the pages and the API alike (app/web/ratelimit.py counts).

- Wrong passwords per account, from any address: a few per window, then a growing delay.
- Wrong passwords per client address, for any accounts: far more, so that an office behind
  one NAT address is not locked out by its own typos, while one address cannot try many
  accounts quickly.
- A sign-in that succeeds is never counted against the address, and clears the account's
  count: twenty colleagues of a canteen signing in at once all get in.
- Sign-ups per client address, each of which costs an argon2 hash.

A request over a limit is refused before the password is checked (the right one included),
with Retry-After saying how long the wait really is.
"""

from __future__ import annotations

import hashlib
import ipaddress

from fastapi import Request

from app.config import Settings
from app.core.errors import RateLimited
from app.web.ratelimit import AttemptLimiter, Policy


def _login_policy(name: str, limit: int, settings: Settings) -> Policy:
    window = settings.login_window_seconds
    return Policy(name, limit, window, max(settings.login_max_delay_seconds, window))


def _account_policy(settings: Settings) -> Policy:
    return _login_policy("login-account", settings.login_attempts_per_window, settings)


def _address_policy(settings: Settings) -> Policy:
    return _login_policy("login-address", settings.login_address_failures_per_window, settings)


def _registration_policy(settings: Settings) -> Policy:
    # A plain rate: an office signing up its people is not made to wait longer and longer.
    window = settings.registration_window_seconds
    return Policy("register-address", settings.registrations_per_window, window, window)


def _limiter(request: Request) -> AttemptLimiter:
    limiter: AttemptLimiter = request.app.state.limits
    return limiter


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str:
    """The client's address as the limits count it: IPv6 by /64, the block one subscriber
    usually holds (counting single IPv6 addresses would let one client use millions)."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _account_key(email: str) -> str:
    # Hashed: the limiter's store (Redis) need not hold anyone's address. Unknown addresses are
    # counted as known ones are, so that a 429 tells nothing about who has an account.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def too_many_attempts(wait_seconds: int, message: str) -> RateLimited:
    """429 `rate_limited`, with Retry-After in whole seconds."""
    return RateLimited(message, headers={"Retry-After": str(max(1, wait_seconds))})


async def sign_in_wait(request: Request, email: str) -> int:
    """Seconds before this account may be tried from this client; 0: now."""
    limiter, settings = _limiter(request), _settings(request)
    by_account = await limiter.wait(_account_policy(settings), _account_key(email))
    by_address = await limiter.wait(_address_policy(settings), client_address(request))
    return max(by_account, by_address)


async def check_sign_in_allowed(request: Request, email: str) -> None:
    """RateLimited when the account or the client address must wait."""
    wait = await sign_in_wait(request, email)
    if wait:
        raise too_many_attempts(wait, "Too many wrong passwords; try again later.")


async def sign_in_failed(request: Request, email: str) -> None:
    """Count a wrong password against the account and the client address."""
    limiter, settings = _limiter(request), _settings(request)
    await limiter.count(_account_policy(settings), _account_key(email))
    await limiter.count(_address_policy(settings), client_address(request))


async def sign_in_succeeded(request: Request, email: str) -> None:
    """The account's count restarts; the address's is left alone (it never counted this)."""
    await _limiter(request).reset(_account_policy(_settings(request)), _account_key(email))


async def admit_registration(request: Request) -> int:
    """Count a sign-up attempt of the client address, unless it must wait: then the seconds."""
    limiter, policy = _limiter(request), _registration_policy(_settings(request))
    address = client_address(request)
    wait = await limiter.wait(policy, address)
    if wait:
        return wait
    await limiter.count(policy, address)
    return 0


async def check_registration_allowed(request: Request) -> None:
    """admit_registration for the API: RateLimited when the address must wait."""
    wait = await admit_registration(request)
    if wait:
        raise too_many_attempts(wait, "Too many sign-ups from your network; try again later.")
