"""Lazy public packages: each domain's ``__init__`` names what faces may import, and loads a
name's module only when it is first asked for.

Why lazy: the light client commands import a few rules and limits (``services.core``,
``services.tasks``) and must not load SQLAlchemy with them; and no package ``__init__`` can
take part in an import cycle.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``exports`` maps a public name to the module
    (relative to the package) that defines it. A loaded name is cached on the package."""

    def __getattr__(name: str) -> object:  # noqa: N807 - the module protocol's name
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
