"""Where a webhook may point: no loopback, link-local, private, unspecified, multicast or
reserved address, unless ``CREWBOARD_WEBHOOK_ALLOW_PRIVATE`` says so.

The rule is applied to the *addresses* a host resolves to, never to its spelling: ``127.1``,
``2130706433``, ``0x7f000001``, ``[::ffff:127.0.0.1]`` and ``localhost`` all end up as
127.0.0.1. When a hook is saved, addresses and ``localhost`` names get a clear 422; when the
sender connects, every address the host resolves to is checked and the connection goes to
those very addresses (no DNS rebinding between the check and the connection: see
jobs/webhook_transport.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from crewboard.services.core import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_SECONDS = 5.0
SETTING = "CREWBOARD_WEBHOOK_ALLOW_PRIVATE"


class BlockedTarget(Exception):
    """A webhook host that resolves to an address webhooks may not reach."""


def refusal(address: IPAddress) -> str | None:
    """Why webhooks may not reach ``address`` (None: a public address)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None:
            return refusal(inner)
    for test, name in (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "site-local"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
    ):
        if test:
            return name
    return None if address.is_global else "non-public"


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:  # not an address: a name, or inet_aton's spellings (below)
        return None


def literal(host: str) -> IPAddress | None:
    """The address a host names by itself, in any numeric form ``inet_aton`` reads
    (``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, with or without a final dot
    as in ``127.0.0.1.``) or as IPv6; None for a name."""
    named = _ip(host.strip("[]"))
    if named is not None:
        return named
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.removesuffix(".")))
    except (OSError, UnicodeError):
        return None


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (TCP), in the resolver's order."""
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS
    )
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


async def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to for ``host``; BlockedTarget if any of them is refused (one
    bad answer refuses the host: a resolver may hand out the other one next time)."""
    named = literal(host)
    addresses = [named] if named is not None else await resolve(host, port)
    if not allow_private:
        for address in addresses:
            why = refusal(address)
            if why is not None:
                raise BlockedTarget(
                    f"{host} is a {why} address ({address}); webhooks reach public "
                    f"addresses only unless {SETTING} is set"
                )
    return addresses


def check_target(host: str, *, allow_private: bool) -> None:
    """The save-time check (422 ``url``): an address in any spelling, and the ``localhost``
    names (RFC 6761). Other names are resolved when the sender connects, not here: a save
    runs inside a write transaction, which must not wait on DNS (and DNS answers may change
    by delivery time anyway)."""
    if allow_private:
        return
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        raise Invalid(
            f"{host} is a loopback name; webhooks reach public addresses only unless "
            f"{SETTING} is set",
            field="url",
            code="webhook-target",
        )
    address = literal(host)
    why = refusal(address) if address is not None else None
    if address is not None and why is not None:
        raise Invalid(
            f"{host} is a {why} address ({address}); webhooks reach public addresses only "
            f"unless {SETTING} is set",
            field="url",
            code="webhook-target",
        )
