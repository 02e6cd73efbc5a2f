"""Helpers of the dashboard tests: log in through the form, read the CSRF token of a page."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from crewboard.services.projects import Role
from tests.factory import Factory

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token carried by a page's forms."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


async def login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the CSRF token of the session's pages."""
    form = await http.get("/login")
    assert form.status_code == 200
    answer = await http.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text), "next": "/"},
    )
    assert answer.status_code == 303, answer.text[:300]
    home = await http.get("/")
    assert home.status_code == 200
    return csrf_of(home.text)


@dataclass
class Two:
    """Two projects with one owner each (and an outsider to each)."""

    alice: int
    bob: int


async def two_projects(factory: Factory) -> Two:
    """``shop`` (owner alice, agents backend and qa) and ``bank`` (owner bob, agent teller)."""
    alice = await factory.user("alice@example.com", password=PASSWORD)
    bob = await factory.user("bob@example.com", password=PASSWORD)
    await factory.project("shop", alice)
    await factory.project("bank", bob)
    for name in ("backend", "qa"):
        await factory.agent("shop", name)
    await factory.agent("bank", "teller")
    await factory.user("vera@example.com", password=PASSWORD)
    await factory.member("shop", "vera@example.com", Role.VIEWER)
    return Two(alice, bob)
