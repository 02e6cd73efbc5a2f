"""Secrets: tokens, their stored form, CSRF tokens, Argon2id passwords."""

from __future__ import annotations

import re

import pytest
from argon2 import extract_parameters
from argon2.exceptions import VerifyMismatchError

from crewboard.config import Settings
from crewboard.services.accounts.credentials import (
    SETUP_PREFIX,
    TOKEN_PREFIX,
    _cost,
    _dummy_hash,
    _hasher,
    csrf_token_for,
    hash_password,
    hash_token,
    new_token,
    same_secret,
    token_hint,
    verify_password,
)


def test_tokens_are_long_random_and_prefixed() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert token.startswith(TOKEN_PREFIX)
        body = token.removeprefix(TOKEN_PREFIX)
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body)  # 32 random bytes, URL-safe
    assert new_token(SETUP_PREFIX).startswith("cbsetup_")


def test_the_stored_form_is_a_sha256_digest() -> None:
    token = new_token()
    digest = hash_token(token)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == hash_token(token)
    assert digest != hash_token(new_token())
    assert token not in digest


def test_hint_is_a_short_prefix() -> None:
    token = new_token()
    assert token_hint(token) == token[:10]
    assert len(token_hint(token)) < len(token) // 4


def test_csrf_tokens_are_bound_to_their_session() -> None:
    a, b = new_token(), new_token()
    assert csrf_token_for(a) == csrf_token_for(a)
    assert csrf_token_for(a) != csrf_token_for(b)
    assert csrf_token_for(a) != hash_token(a)  # cannot be used to look the session up
    assert a not in csrf_token_for(a)


def test_same_secret() -> None:
    assert same_secret("abc", "abc")
    assert not same_secret("abc", "abd")
    assert not same_secret("abc", "abcd")
    assert not same_secret("", "abc")


async def test_passwords_are_argon2id() -> None:
    stored = await hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    assert stored != await hash_password("correct horse battery")  # salted
    assert await verify_password(stored, "correct horse battery")
    assert not await verify_password(stored, "correct horse batterY")


async def test_missing_or_broken_hashes_never_verify() -> None:
    assert not await verify_password(None, "anything")
    assert not await verify_password("", "anything")
    assert not await verify_password("not-a-hash", "anything")


async def test_production_hashes_at_rfc_9106_low_memory_cost(production_settings: Settings) -> None:
    # The tests' own settings hash cheaply; production's, and no settings at all, must not.
    for stored in (await hash_password("pw", production_settings), await hash_password("pw")):
        assert "$m=65536,t=3,p=4$" in stored
        assert await verify_password(stored, "pw", production_settings)


async def test_the_settings_set_the_cost_and_any_stored_cost_still_verifies(
    settings: Settings, production_settings: Settings
) -> None:
    cheap = await hash_password("correct horse battery", settings)
    assert "$m=32,t=1,p=4$" in cheap
    # A hash keeps its parameters: changing the settings locks nobody out.
    assert await verify_password(cheap, "correct horse battery", production_settings)
    assert not await verify_password(cheap, "correct horse batterY", production_settings)


@pytest.mark.parametrize("settings", [None, Settings(argon2_time_cost=1, argon2_memory_kib=32)])
def test_the_dummy_hash_costs_what_a_stored_hash_costs(settings: Settings | None) -> None:
    """Written out rather than computed, it has a stored hash's parameters, so verifying an
    unknown e-mail's password runs the same Argon2 work; it parses and never matches."""
    cost = _cost(settings)
    stored = _hasher(cost).hash("correct horse battery")
    assert extract_parameters(_dummy_hash(cost)) == extract_parameters(stored)
    with pytest.raises(VerifyMismatchError):  # a mismatch after the work, not a parse error
        _hasher((1, 32)).verify(_dummy_hash((1, 32)), "correct horse battery")
