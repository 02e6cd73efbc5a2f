"""The machine-readable comment under a rendered file's title, and the lines both parsers share.

``<!-- crewboard: project=<slug> [agent=<name>] version=<16 hex> -->``: the version is a
digest of everything below the header line, so it changes exactly when the content does,
and a parser can tell a file edited by hand (its body no longer matches the version).
"""

from __future__ import annotations

import hashlib
import re

from crewboard.services.markdown.model import Header

_HEADER = re.compile(
    r"<!-- crewboard: project=(?P<project>\S+)(?: agent=(?P<agent>\S+))?"
    r" version=(?P<version>[0-9a-f]{16}) -->"
)
# The block ``crewboard sync`` writes at the end of a file to show the lines it could not
# apply; both parsers skip everything from the start marker to the end marker.
REFUSED_START = "<!-- crewboard:refused -->"
REFUSED_END = "<!-- /crewboard:refused -->"
# Matched against trimmed lines (``trimmed``), so a trailing blank is an escaped one.
HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?")
ITEM = re.compile(
    r"\s*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(?:\[(?P<box>[ xX])\](?:[ \t]+|$))?(?P<text>.*))?"
)


def digest(body: str) -> str:
    """The version of a body: 16 hex digits of its SHA-256."""
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def header_line(project: str, agent: str | None, body: str) -> str:
    """The header comment for a file whose text below the header is ``body``."""
    who = f" agent={agent}" if agent is not None else ""
    return f"<!-- crewboard: project={project}{who} version={digest(body)} -->"


def read_header(line: str) -> Header | None:
    """The header a line holds, if it is one."""
    found = _HEADER.fullmatch(line.strip())
    if found is None:
        return None
    return Header(found["project"], found["agent"], found["version"])


def lines_of(text: str) -> list[str]:
    """The lines of a file; a CR before the LF (Windows line ends) is dropped."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def trimmed(line: str) -> str:
    """A line without its trailing blanks, but keeping one a backslash escapes."""
    cut = line.rstrip()
    if cut != line and (len(cut) - len(cut.rstrip("\\"))) % 2 == 1:
        cut += line[len(cut)]
    return cut


def body_after(text: str, header_at: int) -> str:
    """The text below the header line (``header_at``: its 0-based line index)."""
    return "\n".join(text.split("\n")[header_at + 1 :])
