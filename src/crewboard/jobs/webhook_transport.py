"""The webhook sender's connections: to checked addresses only.

httpx resolves and connects in one step deep inside httpcore, so a check made beforehand
could be answered differently by DNS when the connection is made (rebinding). This network
backend does the resolution itself, applies services/webhooks/targets.py's rule to every
address, and connects to those very addresses. TLS still verifies the certificate against
the URL's host name (httpcore passes it as SNI on top of this connection), and the Host
header is the URL's. Proxies from the environment are not used (a proxy would connect on
its own terms): the client is built with ``trust_env=False``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Union

import httpcore
import httpx

from crewboard.services.webhooks import BlockedTarget, checked_addresses

SocketOption = Union[  # noqa: UP007 (httpcore's own SOCKET_OPTION)
    tuple[int, int, int], tuple[int, int, bytes | bytearray], tuple[int, int, None, int]
]


class BlockedConnect(httpcore.ConnectError):
    """A connection refused by the target rule (never attempted)."""


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, check every address, connect to a checked one."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, *, allow_private: bool) -> None:
        self._inner = inner
        self._allow_private = allow_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A TCP connection to one of ``host``'s addresses, all of which passed the rule."""
        try:
            addresses = await checked_addresses(host, port, allow_private=self._allow_private)
        except BlockedTarget as exc:
            raise BlockedConnect(str(exc)) from None
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        if last is None:
            raise httpcore.ConnectError(f"{host} has no address")
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: webhooks go over TCP to checked addresses."""
        raise BlockedConnect("webhooks do not use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        """The inner backend's sleep."""
        await self._inner.sleep(seconds)


def checked_transport(*, allow_private: bool) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose every connection goes through ``CheckedBackend``."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    pool = transport._pool  # httpx builds its httpcore pool privately; no public hook
    inner = getattr(pool, "_network_backend", None)
    if not isinstance(inner, httpcore.AsyncNetworkBackend):
        raise RuntimeError("httpcore changed: the webhook target check cannot be installed")
    pool._network_backend = CheckedBackend(inner, allow_private=allow_private)
    return transport
