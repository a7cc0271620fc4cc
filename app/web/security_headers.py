"""Security headers on every response: the Content-Security-Policy and its companions.

A pure ASGI middleware (BaseHTTPMiddleware would cost the cached listing a good share of its
requests per second): it adds each header the response does not set itself, so that a route
with needs of its own (the pay page loads Stripe.js, uploaded media are sandboxed) answers with
its own policy and every other response with the site's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "Content-Security-Policy"
PERMISSIONS_POLICY = "Permissions-Policy"

# Scripts, styles, images, fonts and requests from the site itself only; no inline script and
# no style attribute (the templates have neither: scripts are static files, and what varies per
# page is set through the CSSOM, which the policy allows); no plugins; the site is never framed.
_DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'",),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "frame-src": ("'none'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}

# Browser features the site never uses, refused to it and to anything it might embed.
_UNUSED_FEATURES = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)

# A year; without includeSubDomains, which would bind other sites of the operator's domain.
HSTS = "max-age=31536000"


def content_security_policy(extra: Mapping[str, Iterable[str]] | None = None) -> str:
    """The site's policy, with the sources in `extra` added to their directives (a directive
    whose only source is 'none' is replaced)."""
    directives = {name: list(sources) for name, sources in _DIRECTIVES.items()}
    for name, sources in (extra or {}).items():
        current = [s for s in directives.get(name, []) if s != "'none'"]
        directives[name] = current + [s for s in sources if s not in current]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def permissions_policy(allowed: Mapping[str, Iterable[str]] | None = None) -> str:
    """Every unused feature refused, except those in `allowed`, granted to the origins given
    (`self` or quoted origins, as the header writes them)."""
    granted = dict(allowed or {})
    return ", ".join(
        f"{feature}=({' '.join(granted[feature])})" if feature in granted else f"{feature}=()"
        for feature in _UNUSED_FEATURES
    )


def baseline_headers(*, hsts: bool) -> dict[str, str]:
    """What every response carries unless it says otherwise."""
    headers = {
        CSP: content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        PERMISSIONS_POLICY: permissions_policy(),
    }
    if hsts:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeadersMiddleware:
    """Adds the baseline headers a response lacks. Outermost (see app.main), so that the 413 of
    the body limit and the 500 page carry them too. HSTS only when the site is served over
    HTTPS (FENGSHOU_SESSION_COOKIE_SECURE): a browser would otherwise refuse plain HTTP."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        # Encoded once: the hot path only compares and appends.
        self.headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in baseline_headers(hsts=hsts).items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
