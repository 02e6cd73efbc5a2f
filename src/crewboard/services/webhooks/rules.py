"""Input rules of webhooks, shared by the service and the boundary schemas."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from crewboard.services.core import Invalid

WEBHOOK_URL_MAX = 2000
WEBHOOK_KINDS_MAX = 20
WEBHOOK_KIND_MAX = 64
WEBHOOK_KIND_PATTERN = r"^[a-z][a-z0-9_.]{0,63}$"
WEBHOOKS_PER_PROJECT = 20
# Sent as its own kind and only to the hook it names, whatever its kinds.
PING_KIND = "webhook.ping"

_KIND = re.compile(WEBHOOK_KIND_PATTERN)


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, no credentials, no fragment, bounded length
    (where it may point is targets.py's rule)."""
    if len(url) > WEBHOOK_URL_MAX:
        raise Invalid(f"a webhook URL is at most {WEBHOOK_URL_MAX} characters", field="url")
    if any(ord(ch) <= 32 or ord(ch) == 127 for ch in url):
        raise Invalid("a webhook URL has no spaces or control characters", field="url")
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as exc:
        raise Invalid("not a valid URL", field="url") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise Invalid("a webhook URL is an absolute http:// or https:// URL", field="url")
    if parts.username is not None or parts.password is not None:
        raise Invalid(
            "a webhook URL carries no credentials; verify the signature instead", field="url"
        )
    if parts.fragment:
        raise Invalid("a webhook URL has no #fragment", field="url")
    return url


def sender_host(url: str) -> str:
    """The host as the sender's HTTP client (httpx) reads the URL: lowercase ASCII, IDNA
    encoded, an IPv6 address without brackets. The target rule is applied to this, so no
    difference between two URL parsers can slip a host past it; a URL httpx refuses
    (``999.1.1.1``, ``127.0.0.1`` in fullwidth digits) could never be sent: Invalid."""
    try:
        return httpx.URL(url).raw_host.decode("ascii")
    except httpx.InvalidURL as exc:
        raise Invalid(
            "not a valid URL: its host is no valid address or domain name", field="url"
        ) from exc


def check_kinds(kinds: list[str]) -> list[str]:
    """Event kind prefixes (``task.``, ``message.sent``), each once; empty means every kind."""
    if len(kinds) > WEBHOOK_KINDS_MAX:
        raise Invalid(f"at most {WEBHOOK_KINDS_MAX} kinds", field="kinds")
    for kind in kinds:
        if not _KIND.match(kind):
            raise Invalid(
                "a kind is 1-64 lowercase letters, digits, '_' or '.', starting with a letter",
                field="kinds",
            )
    return list(dict.fromkeys(kinds))


def url_host(url: str) -> str:
    """The host of a checked URL: what events and logs name (the full URL may carry tokens)."""
    return urlsplit(url).hostname or ""
