"""Where a contact may point: an http(s) URL for webhooks and robots, an address for e-mail.

Server-side request forgery (OWASP API7): a webhook target chosen by a caller must not make notify_api
call into its own network. Here we refuse targets that are loopback or private on their face: literal IP
addresses in any form the resolver accepts (127.1, 2130706433, ::ffff:10.0.0.1 …) and `localhost`.
A DNS name can resolve to anything and can change after it is checked, so names are checked where it
matters, at delivery: the deliverer resolves the host once, refuses a private answer (`is_public_address`)
and connects to the addresses it checked (deliveries/channels/pinning.py), so a re-bound name cannot slip by.
Outside production (settings.private_targets_allowed) local receivers are allowed, for tests and demos.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import SplitResult, urlsplit

import httpx

from services.common.problems import Unprocessable
from services.common.secrets import MASK
from services.notify_api.contacts.models import Channel

TARGET = ("body", "target")  # where a refused target is, in the problem's errors

EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}$")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any notation the C resolver would accept; None for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # inet_aton parses the legacy forms (127.1, 0x7f.1, 2130706433) without asking DNS
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


# IPv6 prefixes that carry an IPv4 address in their last 32 bits: a packet to them reaches that IPv4 host through
# a translator (NAT64, RFC 6052 and 8215) or a compatible stack, so they are judged by the IPv4 address they carry.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: for local use, never globally routable
_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated IPv4-compatible form (::a.b.c.d), :: and ::1


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to: IPv4-mapped, 6to4, Teredo (the client) or NAT64."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is on the public internet (not loopback, private, link-local, shared, reserved).

    An IPv6 address that carries an IPv4 address is judged by that address too, so that [64:ff9b::a9fe:a9fe]
    (NAT64 of the metadata service 169.254.169.254) or [2002:7f00:1::] (6to4 of 127.0.0.1) cannot pass; the
    local-use NAT64 prefix and the deprecated IPv4-compatible form (::a.b.c.d) are never routed, so refused.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64 or address in _COMPATIBLE:
            return False
        embedded = embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
        if address.ipv4_mapped is not None:  # ::ffff:8.8.8.8 is 8.8.8.8 on a dual stack, though not "global" itself
            return True
    return address.is_global and not address.is_multicast


def is_local_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def check_url(target: str, *, private_allowed: bool, field: str = "target") -> str:
    """The URL, if notify_api may deliver to it; else 422 on the body's `field` (a subscription's is url)."""
    at = ("body", field)
    parts = _split(target, field)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _not_a_url(field)
    if parts.username or parts.password:
        raise Unprocessable(f"{field} must not carry credentials in the URL.", at=at)
    if private_allowed:
        return target
    address = literal_address(parts.hostname)
    if is_local_name(parts.hostname) or (address is not None and not is_public_address(address)):
        raise Unprocessable(
            f"{field} {parts.hostname!r} is a loopback or private address; notify_api only delivers to public hosts.",
            at=at,
        )
    return target


def _not_a_url(field: str) -> Unprocessable:
    return Unprocessable(f"{field} must be an http(s) URL with a host.", at=("body", field))


def _split(target: str, field: str) -> SplitResult:
    """The URL's parts. urlsplit raises ValueError for a bracketed host that is no IPv6 address or is not closed
    (until 2026-12-07 a 500), and its port for one that is not a number of 0 to 65535; such a port, or a URL httpx
    cannot read, was stored, and every delivery to it then failed: a port must be one that can be connected to."""
    try:
        parts = urlsplit(target)
    except ValueError as exc:
        raise _not_a_url(field) from exc
    try:
        port = parts.port
    except ValueError:
        port = 0  # not a number, or beyond 65535: no port either
    if port == 0:
        raise Unprocessable(f"{field} must give its port as a number from 1 to 65535.", at=("body", field))
    try:
        httpx.URL(target)  # as the deliverer reads it (deliveries/channels/http.py): a tab, a host IDNA refuses
    except httpx.InvalidURL as exc:
        raise _not_a_url(field) from exc
    return parts


def check_target(channel: Channel, target: str, *, private_allowed: bool) -> str:
    """The target, if it suits the channel; else 422."""
    target = target.strip()
    if channel is Channel.EMAIL:
        if len(target) > 254 or not EMAIL.match(target):
            raise Unprocessable(f"{target!r} is not an e-mail address.", at=TARGET)
        return target
    if MASK in target:
        raise Unprocessable(
            "target carries a masked token (****), as contacts are shown; send the whole URL.", at=TARGET
        )
    return check_url(target, private_allowed=private_allowed)
