"""HTTP statuses of the client's errors map onto the CLI's exit codes."""

from __future__ import annotations

import pytest

from crewboard.cli.errors import exit_code_for_client, exit_code_for_status
from crewboard.client.errors import ClientError


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, 2),
        (422, 2),
        (428, 2),
        (413, 2),
        (401, 4),
        (403, 4),
        (404, 3),
        (409, 1),
        (429, 1),
        (500, 1),
        (502, 1),
        (503, 1),
    ],
)
def test_exit_codes_follow_the_http_status(status: int, code: int) -> None:
    assert exit_code_for_status(status) == code


def test_a_client_error_without_a_status_is_a_failure() -> None:
    assert exit_code_for_client(ClientError("cannot reach the server")) == 1
    assert exit_code_for_client(ClientError("not logged in", 401)) == 4
