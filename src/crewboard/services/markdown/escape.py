"""Backslash escapes that let any text sit inside one markdown line and come back unchanged.

Rendering escapes the fewest characters the line grammar needs (docs/markdown.md):
a backslash (always), control and line-break characters (as ``\\u{hex}``), the em dash
``—`` (the field separator), a leading or trailing blank, a leading ``[``, ``#`` or ``*``, and the
first character of any delimiter the caller names. Parsing turns ``\\u{hex}`` back into its
character and ``\\X`` into ``X`` for any other ``X``, so hand-written escapes are harmless.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

SEPARATOR = " — "
_ALWAYS = frozenset("\\—")
_LEADING = frozenset(" [#*")
_CODE = re.compile(r"u\{([0-9a-fA-F]{1,6})\}")


def _is_break(ch: str) -> bool:
    # Anything that may end a line in some reader, and every other control character.
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def escape(text: str, delimiters: Sequence[str] = (), *, sentinels: Sequence[str] = ()) -> str:
    """``text`` made safe inside a line; ``delimiters`` may not occur unescaped in it, and a
    text equal to one of ``sentinels`` (like ``none``) gets its first character escaped."""
    out: list[str] = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        if _is_break(ch):
            out.append(f"\\u{{{ord(ch):x}}}")
        elif (
            ch in _ALWAYS
            or (i == 0 and (ch in _LEADING or ch.isspace()))
            or (i == last and ch.isspace())
            or (i == 0 and text in sentinels)
            or any(text.startswith(d, i) for d in delimiters)
        ):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Escaped:
    """A rendered text read back: its characters, and which of them were escaped."""

    chars: tuple[str, ...]
    escaped: tuple[bool, ...]

    @classmethod
    def read(cls, raw: str) -> Escaped:
        """Decode the escapes of ``raw``; a lone trailing backslash stays a backslash."""
        chars: list[str] = []
        flags: list[bool] = []
        i = 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                code = _CODE.match(raw, i + 1)
                if code is not None and int(code.group(1), 16) <= 0x10FFFF:
                    chars.append(chr(int(code.group(1), 16)))
                    i = code.end()
                else:
                    chars.append(raw[i + 1])
                    i += 2
                flags.append(True)
                continue
            chars.append(ch)
            flags.append(False)
            i += 1
        return cls(tuple(chars), tuple(flags))

    def __len__(self) -> int:
        return len(self.chars)

    def text(self) -> str:
        """The plain text."""
        return "".join(self.chars)

    def find(self, delimiter: str, start: int = 0) -> int:
        """Where ``delimiter`` first occurs unescaped at or after ``start``; -1 if nowhere."""
        for i in range(start, len(self.chars) - len(delimiter) + 1):
            if self._at(delimiter, i):
                return i
        return -1

    def split(self, delimiter: str) -> list[Escaped]:
        """Split at every unescaped ``delimiter``."""
        parts: list[Escaped] = []
        start = 0
        while (at := self.find(delimiter, start)) >= 0:
            parts.append(self[start:at])
            start = at + len(delimiter)
        parts.append(self[start:])
        return parts

    def __add__(self, other: Escaped | str) -> Escaped:
        if isinstance(other, str):
            other = Escaped(tuple(other), (False,) * len(other))
        return Escaped(self.chars + other.chars, self.escaped + other.escaped)

    def __getitem__(self, span: slice) -> Escaped:
        return Escaped(self.chars[span], self.escaped[span])

    def prefix(self, pattern: re.Pattern[str]) -> tuple[re.Match[str], Escaped] | None:
        """The match of ``pattern`` at the start (no escaped character in it), and the rest."""
        # Escaped characters become U+FFFF, which no prefix pattern matches.
        plain = "".join("\uffff" if e else c for c, e in zip(self.chars, self.escaped, strict=True))
        found = pattern.match(plain)
        if found is None:
            return None
        return found, self[found.end() :]

    def strip(self) -> Escaped:
        """Without unescaped blanks at either end."""
        start, end = 0, len(self)
        while start < end and not self.escaped[start] and self.chars[start].isspace():
            start += 1
        while end > start and not self.escaped[end - 1] and self.chars[end - 1].isspace():
            end -= 1
        return self[start:end]

    def is_(self, text: str) -> bool:
        """Whether it is exactly ``text``, unescaped."""
        return len(self) == len(text) and self._at(text, 0)

    def startswith(self, prefix: str) -> bool:
        """Whether it starts with ``prefix``, unescaped."""
        return self._at(prefix, 0)

    def endswith(self, suffix: str) -> bool:
        """Whether it ends with ``suffix``, unescaped."""
        return self._at(suffix, len(self) - len(suffix))

    def _at(self, text: str, i: int) -> bool:
        end = i + len(text)
        return (
            i >= 0
            and end <= len(self)
            and not any(self.escaped[i:end])
            and "".join(self.chars[i:end]) == text
        )
