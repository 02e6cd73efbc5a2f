"""Logging: one format for every process, with the request id on each line."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from crewboard.log import RequestIdFilter, configure_logging, request_id_var


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes the root logger; put it back for the other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    uvicorn_access = logging.getLogger("uvicorn.access")
    disabled = uvicorn_access.disabled
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        uvicorn_access.disabled = disabled


def _record() -> logging.LogRecord:
    return logging.LogRecord("crewboard.test", logging.INFO, __file__, 1, "hello", None, None)


def test_the_filter_adds_the_current_request_id() -> None:
    record = _record()
    assert RequestIdFilter().filter(record) is True
    assert getattr(record, "request_id", None) == "-"  # outside a request
    token = request_id_var.set("req-42")
    try:
        record = _record()
        RequestIdFilter().filter(record)
        assert getattr(record, "request_id", None) == "req-42"
    finally:
        request_id_var.reset(token)


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_writes_one_line_with_the_request_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("WARNING")
    root = logging.getLogger()
    assert len(root.handlers) == 1
    assert root.level == logging.WARNING
    assert logging.getLogger("uvicorn.access").disabled

    logger = logging.getLogger("crewboard.test")
    token = request_id_var.set("abc123")
    try:
        logger.warning("something %s", "happened")
        logger.info("not shown at WARNING")
    finally:
        request_id_var.reset(token)
    logger.error("outside")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("WARNING crewboard.test [abc123] something happened")
    assert lines[1].endswith("ERROR crewboard.test [-] outside")


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_twice_does_not_duplicate_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging()
    configure_logging()
    logging.getLogger("crewboard.test").info("once")
    assert capsys.readouterr().err.count("once") == 1


@pytest.mark.usefixtures("restore_logging")
def test_input_can_never_forge_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A path with %0A, a NUL or a line separator stays on its own line (issue 17, item 9);
    a traceback keeps its lines."""
    configure_logging("INFO")
    forged = "/api/v1/x\n2026-12-05 00:00:00 INFO crewboard.access [-] GET / 200\x00\u2028end"
    logging.getLogger("crewboard.access").info("%s %s %d", "GET", forged, 404)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("crewboard.test").exception("failed on %s", "a\nb")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].endswith(
        "GET /api/v1/x\\n2026-12-05 00:00:00 INFO crewboard.access [-] GET / 200\\x00\\u2028end 404"
    )
    assert lines[1].endswith("failed on a\\nb")
    assert lines[2] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: boom"
