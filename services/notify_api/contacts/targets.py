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
from urllib.parse import urlsplit

from services.common.problems import Unprocessable
from services.common.secrets import MASK
from services.notify_api.contacts.models import Channel

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


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is on the public internet (not loopback, private, link-local, shared, reserved)."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


def is_local_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def check_url(target: str, *, private_allowed: bool) -> str:
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable("target must be an http(s) URL with a host.")
    if parts.username or parts.password:
        raise Unprocessable("target must not carry credentials in the URL.")
    if private_allowed:
        return target
    address = literal_address(parts.hostname)
    if is_local_name(parts.hostname) or (address is not None and not is_public_address(address)):
        raise Unprocessable(f"target {parts.hostname!r} is a loopback or private address; notify_api only "
                            "delivers to public hosts.")
    return target


def check_target(channel: Channel, target: str, *, private_allowed: bool) -> str:
    """The target, if it suits the channel; else 422."""
    target = target.strip()
    if channel is Channel.EMAIL:
        if len(target) > 254 or not EMAIL.match(target):
            raise Unprocessable(f"{target!r} is not an e-mail address.")
        return target
    if MASK in target:
        raise Unprocessable("target carries a masked token (****), as contacts are shown; send the whole URL.")
    return check_url(target, private_allowed=private_allowed)
