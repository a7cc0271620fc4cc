"""A supplier's webhook settings, and the SSRF checks of its URL (saved, and posted to)."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.cooperative.errors import CooperativeNotFound
from app.cooperative.models import Cooperative
from app.order import repository
from app.order.errors import WebhookUrlRefused
from app.order.schemas import SupplierWebhookOut
from app.order.service.checks import check_id

WEBHOOK_URL_MAX_LENGTH = 500
WEBHOOK_SECRET_MIN_LENGTH = 16
WEBHOOK_SECRET_MAX_LENGTH = 100
# A DNS name (ASCII, IDNs as punycode) or an IP literal (IPv6 without its brackets).
_WEBHOOK_HOST = re.compile(r"[a-z0-9.-]{1,253}|[0-9a-f:.]{2,45}")
_PRIVATE_ADDRESS = "resolves to a loopback, private, link-local or reserved address"


@dataclass(frozen=True)
class WebhookTarget:
    """Where to post: `url` with its host replaced by the checked address, so that the request
    goes where the check looked (no second DNS answer), and the host to name in the request."""

    url: str
    host: str
    tls: bool


def _parse_webhook_url(raw: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an absolute http(s) URL without credentials; else 422."""
    if len(raw) > WEBHOOK_URL_MAX_LENGTH or not raw.isprintable() or not raw.isascii():
        raise WebhookUrlRefused("url", f"an http(s) URL of at most {WEBHOOK_URL_MAX_LENGTH}")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise WebhookUrlRefused("url", "not a valid URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookUrlRefused("url", "an absolute http:// or https:// URL")
    if not _WEBHOOK_HOST.fullmatch(parts.hostname):
        raise WebhookUrlRefused("url", "not a valid host name")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused("url", "no user name or password in the URL")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


# IPv6 ranges that stand for an IPv4 address held in their last 32 bits: IPv4-compatible
# (::a.b.c.d, deprecated), IPv4-translated (::ffff:0:a.b.c.d, SIIT) and the NAT64 well-known
# prefix (64:ff9b::a.b.c.d). A gateway or the kernel may deliver them to that IPv4 address, so
# each is judged as the address it stands for. IPv4-mapped, 6to4 and Teredo have their own
# accessors in ipaddress.
_EMBEDDING_IPV4_IN_LAST_32_BITS = (
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
    ipaddress.IPv6Network("64:ff9b::/96"),
)
# NAT64 for local use (RFC 8215): translated inside the operator's own network, with the IPv4
# address at a position only that network knows. Never the public internet: refused whole.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it stands for one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address (the server's is public by construction)
    if any(ip in network for network in _EMBEDDING_IPV4_IN_LAST_32_BITS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _public(address: str) -> bool:
    """A unicast address of the public internet, also when IPv6 wraps an IPv4 one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return _public(str(embedded))
    return ip.is_global and not ip.is_multicast


async def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError):
        raise WebhookUrlRefused("url", "the host does not resolve") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_webhook_url(raw: str, *, allow_private: bool) -> WebhookTarget:
    """The target of a supplier's webhook URL. Every address its host resolves to must be
    public, unless `allow_private` (a setting for tests and closed networks): otherwise the
    platform could be made to post into its own network. 422 `webhook_url_refused`."""
    scheme, host, port = _parse_webhook_url(raw)
    if allow_private:
        return WebhookTarget(url=raw, host=host, tls=scheme == "https")
    addresses = await _resolve(host, port)
    if not addresses or not all(_public(address) for address in addresses):
        raise WebhookUrlRefused("url", _PRIVATE_ADDRESS)
    pinned = addresses[0]
    netloc = f"[{pinned}]" if ":" in pinned else pinned
    parts = urlsplit(raw)
    url = urlunsplit((scheme, f"{netloc}:{port}", parts.path, parts.query, ""))
    return WebhookTarget(
        url=url, host=host if parts.port is None else f"{host}:{port}", tls=scheme == "https"
    )


async def _admin_cooperative(session: AsyncSession, user: User, cooperative_id: int) -> Cooperative:
    """The supplier if `user` is one of its admins; 404 for anyone else."""
    cooperative = (
        await repository.get_cooperative(session, cooperative_id)
        if check_id(cooperative_id)
        and await repository.is_cooperative_admin(session, user.id, cooperative_id)
        else None
    )
    if cooperative is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return cooperative


async def supplier_webhook(
    session: AsyncSession, *, user: User, cooperative_id: int
) -> tuple[str, SupplierWebhookOut]:
    """The supplier's name and webhook settings, for its admins (404 for anyone else)."""
    cooperative = await _admin_cooperative(session, user, cooperative_id)
    return cooperative.name, SupplierWebhookOut(
        url=cooperative.webhook_url, has_secret=cooperative.webhook_secret is not None
    )


async def set_supplier_webhook(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    url: str | None,
    secret: str | None,
    allow_private: bool,
) -> SupplierWebhookOut:
    """A supplier's admin sets (or, with no URL, removes) where new fulfilments are posted, and
    the secret that signs them. Members of other suppliers, and non-admins: 404."""
    cooperative = await _admin_cooperative(session, user, cooperative_id)
    if secret is not None and not (
        WEBHOOK_SECRET_MIN_LENGTH <= len(secret) <= WEBHOOK_SECRET_MAX_LENGTH
        and secret.isascii()
        and secret.isprintable()
    ):
        raise WebhookUrlRefused(
            "secret",
            f"{WEBHOOK_SECRET_MIN_LENGTH} to {WEBHOOK_SECRET_MAX_LENGTH} printable ASCII "
            "characters",
        )
    if url:
        await check_webhook_url(url, allow_private=allow_private)
        if secret is None and cooperative.webhook_secret is None:
            raise WebhookUrlRefused("secret", "a secret is needed to sign the notifications")
    cooperative.webhook_url = url or None
    if secret is not None:
        cooperative.webhook_secret = secret
    await session.flush()
    return SupplierWebhookOut(
        url=cooperative.webhook_url, has_secret=cooperative.webhook_secret is not None
    )
