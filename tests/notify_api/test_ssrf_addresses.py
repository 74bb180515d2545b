"""Which addresses a webhook or robot may reach: IPv4 hidden in IPv6 is judged by the IPv4 it leads to.

A translator (NAT64), a 6to4 relay or a dual stack takes a packet for such an IPv6 address to the IPv4 host it
carries, so [64:ff9b::a9fe:a9fe] is the metadata service and [2002:7f00:1::] is loopback.
"""

from __future__ import annotations

import ipaddress

import pytest

from services.common.problems import Unprocessable
from services.notify_api.contacts.targets import check_url, embedded_ipv4, is_public_address

REFUSED = [
    # IPv4 that is not public
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    # IPv6 that is not public
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "2001:db8::1",
    # IPv4-mapped
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:7f00:1",
    # IPv4-compatible (deprecated; never routed)
    "::127.0.0.1",
    "::7f00:1",
    "::8.8.8.8",
    # 6to4 of private addresses
    "2002:7f00:1::",
    "2002:a00:1::1",
    "2002:a9fe:a9fe::",
    "2002:c0a8:101:ffff::1",
    # NAT64 (RFC 6052) of private addresses, and the local-use prefix (RFC 8215) whatever it carries
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::7f00:1",
    "64:ff9b::10.0.0.1",
    "64:ff9b::192.168.0.1",
    "64:ff9b:1::808:808",
    "64:ff9b:1:ffff::1",
    # Teredo (the client address is carried obfuscated)
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "2001::1",
]
ALLOWED = [
    "8.8.8.8",
    "93.184.216.34",
    "2606:4700:4700::1111",
    "2400:3200::1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "64:ff9b::8.8.4.4",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_an_address_that_leads_to_a_private_host_is_not_public(address):
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_a_public_address_in_any_form_is_public(address):
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [a for a in REFUSED if ":" in a])
def test_an_ipv6_literal_that_leads_to_a_private_host_is_refused_as_a_target(address):
    with pytest.raises(Unprocessable):
        check_url(f"https://[{address}]/hook", private_allowed=False)


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("2002:7f00:1::", "127.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"),
        ("2606:4700:4700::1111", None),
    ],
)
def test_the_ipv4_an_ipv6_address_carries_is_read_from_each_form(address, carried):
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert (str(found) if found else None) == carried
