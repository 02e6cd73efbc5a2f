"""Input rules shared by services and schemas."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crewboard.services.core import Invalid
from crewboard.services.core.rules import (
    check_agent_name,
    check_email,
    check_password,
    check_relative_path,
    check_slug,
    check_text,
    default_tracker_path,
    parse_duration,
)


@pytest.mark.parametrize("slug", ["a", "web", "my-app-2", "0", "a" * 64])
def test_good_slugs(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "Web", "-web", "web-", "my_app", "my.app", "a" * 65, "wé"])
def test_bad_slugs(slug: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_slug(slug)
    assert caught.value.details == {"field": "slug"}


@pytest.mark.parametrize("name", ["qa", "domain-expert", "agent_1", "v1.2", "a" * 64])
def test_good_agent_names(name: str) -> None:
    assert check_agent_name(name) == name


@pytest.mark.parametrize("name", ["", "QA", ".qa", "qa-", "two words", "a/b", "a" * 65])
def test_bad_agent_names(name: str) -> None:
    with pytest.raises(Invalid):
        check_agent_name(name)


def test_check_text_strips_and_bounds() -> None:
    assert check_text("  hello  ", "title", 5) == "hello"
    assert check_text("line\nnext\tcol", "body", 100) == "line\nnext\tcol"
    assert check_text("   ", "note", 10, required=False) == ""
    with pytest.raises(Invalid, match="title must not be empty"):
        check_text("   ", "title", 10)
    with pytest.raises(Invalid, match="longer than 5"):
        check_text("toolong", "title", 5)
    for control in ("\x00", "\x1b[31m", "\r"):
        with pytest.raises(Invalid, match="control characters"):
            check_text(f"a{control}b", "title", 20)


@pytest.mark.parametrize(
    ("password", "ok"), [("x" * 7, False), ("x" * 8, True), ("x" * 256, True), ("x" * 257, False)]
)
def test_password_length(password: str, ok: bool) -> None:
    if ok:
        assert check_password(password) == password
    else:
        with pytest.raises(Invalid):
            check_password(password)


def test_email_is_normalised() -> None:
    assert check_email("  Ann@Example.COM ") == "ann@example.com"
    for bad in ("", "   ", "no-at-sign", "a@" + "b" * 253):
        with pytest.raises(Invalid):
            check_email(bad)


@pytest.mark.parametrize("path", ["tracker.md", ".claude/trackers/qa-tracker.md", "a/./b.md"])
def test_good_relative_paths(path: str) -> None:
    assert check_relative_path(path, "tracker_path", 300) == path


@pytest.mark.parametrize("path", ["/abs.md", "../up.md", "a/../../up.md", "a\\b.md", "", "x" * 301])
def test_bad_relative_paths(path: str) -> None:
    with pytest.raises(Invalid):
        check_relative_path(path, "tracker_path", 300)


def test_default_tracker_path_follows_the_protocol() -> None:
    assert default_tracker_path("backend") == ".claude/trackers/backend-tracker.md"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        (" 30d ", timedelta(days=30)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "d", "0d", "-1d", "1y", "1.5h", "1234567d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(Invalid):
        parse_duration(text)
