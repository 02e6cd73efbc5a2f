"""Password hashing (Argon2id) and opaque tokens (random, stored as SHA-256)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION

from crewboard.config import Settings

TOKEN_PREFIX = "cb_"  # noqa: S105 - a prefix, not a secret
SETUP_PREFIX = "cbsetup_"
_TOKEN_BYTES = 32

_LANES = 4  # Argon2 parallelism, as in RFC 9106's profiles; 32 KiB is its least memory


def _cost(settings: Settings | None) -> tuple[int, int]:
    """(time cost, memory KiB) of ``settings``; without settings, the production defaults."""
    if settings is None:
        fields = Settings.model_fields
        return fields["argon2_time_cost"].default, fields["argon2_memory_kib"].default
    return settings.argon2_time_cost, settings.argon2_memory_kib


@functools.cache
def _hasher(cost: tuple[int, int]) -> PasswordHasher:
    time_cost, memory_kib = cost
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=_LANES)


@functools.cache
def _dummy_hash(cost: tuple[int, int]) -> str:
    """Verified against when the e-mail is unknown, so both paths cost the same time.

    An encoded Argon2id hash with this cost's parameters (those of every stored hash) and a
    random salt and digest: verifying a password against it runs the whole computation, as
    against a stored hash, and never matches (nobody knows a preimage). It is written out, not
    computed: a hash at production's cost holds 64 MiB while it runs, and computing this one at
    start-up was the server's peak RSS (docs/memory.md).
    """
    hasher = _hasher(cost)

    def random_b64(size: int) -> str:  # the PHC string format: base64 without padding
        return base64.b64encode(secrets.token_bytes(size)).decode().rstrip("=")

    parameters = f"m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
    salt, digest = random_b64(hasher.salt_len), random_b64(hasher.hash_len)
    return f"$argon2id$v={ARGON2_VERSION}${parameters}${salt}${digest}"


def new_token(prefix: str = TOKEN_PREFIX) -> str:
    """A fresh opaque secret; the prefix lets secret scanners and people recognise it."""
    return prefix + secrets.token_urlsafe(_TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a token (tokens are high-entropy, so a fast hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_hint(token: str) -> str:
    """A short, harmless prefix of a token, shown in listings."""
    return token[:10]


def csrf_token_for(session_token: str) -> str:
    """The CSRF token bound to a web session (derivable only by whoever holds the cookie)."""
    return hashlib.sha256(b"crewboard-csrf:" + session_token.encode()).hexdigest()


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode(), b.encode())


async def hash_password(password: str, settings: Settings | None = None) -> str:
    """Argon2id hash at the settings' cost (production's without), computed off the event loop."""
    return await anyio.to_thread.run_sync(_hasher(_cost(settings)).hash, password)


async def verify_password(
    password_hash: str | None, password: str, settings: Settings | None = None
) -> bool:
    """True when the password matches; a missing hash costs as much as a wrong password (a
    hash made at the settings' cost: the one every stored hash was made at)."""
    cost = _cost(settings)

    def _verify() -> bool:
        # A hash carries its own parameters: verifying needs no particular hasher's cost.
        try:
            verified = _hasher(cost).verify(password_hash or _dummy_hash(cost), password)
            return verified and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(_verify)
