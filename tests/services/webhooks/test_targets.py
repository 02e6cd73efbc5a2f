"""Where a webhook may point (services/webhooks/targets.py): the rule on addresses in every
spelling, on the host as the sender's HTTP client reads it, and after real resolution."""

from __future__ import annotations

import ipaddress

import pytest

from crewboard.database import Database
from crewboard.services.core import Invalid, unit_of_work
from crewboard.services.webhooks import BlockedTarget, WebhookService, checked_addresses
from crewboard.services.webhooks.targets import literal, refusal
from tests.services.conftest import SLUG, Crew

LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
FULLWIDTH_127 = "\uff11\uff12\uff17.0.0.1"  # what NFKC maps to 127.0.0.1


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "127.0.0.1."],
)
def test_every_numeric_spelling_is_the_address(host: str) -> None:
    assert literal(host) == LOOPBACK


@pytest.mark.parametrize("host", ["example.com", "localhost", FULLWIDTH_127, "xn--mnchen-3ya.de"])
def test_a_name_is_no_address(host: str) -> None:
    assert literal(host) is None


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("0.0.0.0", "unspecified"),  # noqa: S104 (an address to refuse, not a bind)
        ("::", "unspecified"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.1", "private"),
        ("fd00::1", "private"),
        ("100.64.0.1", "non-public"),
        ("::127.0.0.1", "reserved"),
    ],
)
def test_non_public_addresses_are_refused(address: str, why: str) -> None:
    assert refusal(ipaddress.ip_address(address)) == why


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


async def test_a_name_is_checked_on_what_it_resolves_to() -> None:
    """``localhost`` really resolved (the connect-time path), refused unless allowed."""
    with pytest.raises(BlockedTarget, match="loopback"):
        await checked_addresses("localhost", 80, allow_private=False)
    allowed = await checked_addresses("localhost", 80, allow_private=True)
    assert allowed
    assert all(a.is_loopback for a in allowed)


async def test_a_numeric_host_is_not_looked_up() -> None:
    assert await checked_addresses("2130706433", 80, allow_private=True) == [LOOPBACK]
    with pytest.raises(BlockedTarget, match=r"loopback address \(127\.0\.0\.1\)"):
        await checked_addresses("0x7f000001", 80, allow_private=False)


async def _create(database: Database, crew: Crew, url: str, *, allow_private: bool) -> None:
    async with unit_of_work(database, write=True) as session:
        hooks = WebhookService(session, allow_private=allow_private)
        await hooks.create(crew.alice, SLUG, url=url)


@pytest.mark.parametrize(
    "host", ["127.0.0.1.", "0177.0.0.1", "[::ffff:7f00:1]", "LocalHost.", "a.b.localhost"]
)
async def test_saving_refuses_a_loopback_spelling(
    crew: Crew, database: Database, host: str
) -> None:
    with pytest.raises(Invalid) as caught:
        await _create(database, crew, f"http://{host}:8080/in", allow_private=False)
    assert caught.value.detail_code == "webhook-target"
    assert caught.value.details.get("field") == "url"


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(
    "host", ["999.1.1.1", "01.2.3.4", FULLWIDTH_127, "ⓛocalhost", "[::zz]"], ids=repr
)
async def test_saving_refuses_a_host_the_sender_cannot_parse(
    crew: Crew, database: Database, host: str, allow_private: bool
) -> None:
    """httpx would refuse the URL when sending (a fullwidth ``127`` never becomes 127):
    refused on save, whatever the target setting."""
    with pytest.raises(Invalid) as caught:
        await _create(database, crew, f"http://{host}/in", allow_private=allow_private)
    assert caught.value.details.get("field") == "url"


async def test_an_idna_name_is_saved(crew: Crew, database: Database) -> None:
    await _create(database, crew, "https://münchen.example/in", allow_private=False)
