"""The one knob of the fuzz tests: ``CREWBOARD_FUZZ_EXAMPLES`` (``make fuzz`` sets 300)."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

DEFAULT_EXAMPLES = 8  # the normal suite: a smoke run that keeps CI fast


def fuzz_examples(scale: float = 1.0) -> int:
    """Examples per property: ``CREWBOARD_FUZZ_EXAMPLES`` (else the default) times ``scale``
    (cheap properties, such as the pure parser, run more)."""
    raw = os.environ.get("CREWBOARD_FUZZ_EXAMPLES", "").strip()
    base = int(raw) if raw else DEFAULT_EXAMPLES
    if base < 1:
        raise ValueError(f"CREWBOARD_FUZZ_EXAMPLES must be at least 1, not {raw!r}")
    return max(1, round(base * scale))


def fuzz_settings(scale: float = 1.0, **overrides: Any) -> settings:
    """Hypothesis settings of a fuzz test: derandomized (a failure reproduces on the next run,
    and CI sees the same inputs), no example database, no deadline (2 shared cores)."""
    options: dict[str, Any] = {
        "max_examples": fuzz_examples(scale),
        "derandomize": True,
        "database": None,
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
        **overrides,
    }
    return settings(**options)
