"""Where the hub may send requests that a tenant chose: addresses checked, resolved once, pinned.

A URL a tenant gives (a webhook target) is resolved through a `Resolver` (the system's
`getaddrinfo` by default; tests pass their own so that no name ever reaches DNS). Every
address it resolves to must be a global unicast address: loopback, private, link-local,
shared (CGNAT, 100.64/10), multicast, unspecified, reserved, IPv4-mapped IPv6 and
IPv6 forms that embed a non-global IPv4 address are refused. Loopback is allowed only when
the development setting `allow_loopback_targets` is on. IPv4 literals are read the way the
C library reads them (`2130706433`, `0x7f.1`, `0177.0.0.1` are all 127.0.0.1), so no spelling
slips past the check.

`pinned_request` turns a checked target into what to send: the URL with the checked address
in place of the name, the original `Host` header and, for https, the original name as TLS
server name (so the certificate is still verified against it). The connection therefore goes
to the address that was checked, whatever the name resolves to a moment later.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: (host name, port) → the addresses it resolves to, as text; raises OSError when it cannot.
Resolver = Callable[[str, int], Awaitable[list[str]]]

DEFAULT_PORTS = {"http": 80, "https": 443}
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NUMERIC_V4 = re.compile(r"[0-9a-fA-FxX.]+")


class TargetRefused(ValueError):
    """The URL may not be used as a target; the message says why (never the resolved address)."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of `host` from the system's resolver, without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def literal_address(host: str) -> IPAddress | None:
    """`host` as an IP address when it is one, in any spelling the C library accepts."""
    text = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _NUMERIC_V4.fullmatch(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def is_loopback_host(host: str) -> bool:
    """A loopback literal (any spelling) or `localhost` — decided without resolving anything."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":  # not `*.localhost`: a resolver may send those to DNS
        return True
    address = literal_address(name)
    return address is not None and address.is_loopback


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why `address` may not be a target, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        inner = _embedded_v4(address)
        if inner is not None and refusal(inner, allow_loopback=False):
            return "an IPv6 address embedding a non-global IPv4 address"
        if address.is_site_local:
            return "a site-local address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    checks = (
        (address.is_unspecified, "the unspecified address"),
        (address.is_multicast, "a multicast address"),
        (address.is_link_local, "a link-local address"),
        (address in _SHARED, "a shared (CGNAT) address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "a non-global address"),
    )
    return next((reason for refused, reason in checks if refused), None)


@dataclass(frozen=True)
class Target:
    """A checked URL and the address the connection must go to."""

    url: str
    host: str
    port: int
    address: str


def _parts(url: str) -> tuple[Any, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise TargetRefused("must be an absolute http(s) URL")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise TargetRefused("the port is not valid") from exc
    return parts, parts.hostname, port


async def check_target(url: str, resolver: Resolver, *, allow_loopback: bool) -> Target:
    """Resolve the URL's host and check every address; raises TargetRefused.

    Every address must pass (a name with one private address among public ones is refused);
    the first IPv4 address (else the first one) is the one to connect to.
    """
    _, host, port = _parts(url)
    literal = literal_address(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise TargetRefused(f"the host {host!r} cannot be resolved") from exc
    if not addresses:
        raise TargetRefused(f"the host {host!r} cannot be resolved")
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason is not None:
            hint = "" if allow_loopback or not address.is_loopback else " (see allow_loopback_targets)"
            raise TargetRefused(f"the host {host!r} is {reason}{hint}")
    first = min(addresses, key=lambda a: a.version)  # IPv4 first: reachable from more hosts
    return Target(url=url, host=host, port=port, address=str(first))


def pinned_request(target: Target) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(URL to request, headers to add, httpx request extensions) that connect to the checked
    address while the server still sees the original name (Host header, TLS server name)."""
    parts = urlsplit(target.url)
    address = ipaddress.ip_address(target.address)
    where = f"[{address}]" if address.version == 6 else str(address)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + where + (f":{parts.port}" if parts.port else "")
    host_header = parts.netloc.rpartition("@")[2]
    extensions: dict[str, Any] = {"sni_hostname": target.host} if parts.scheme == "https" else {}
    url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return url, {"Host": host_header}, extensions
