"""The REST client's reading of answers: problem bodies become one line."""

from __future__ import annotations

import httpx

from crewboard.client.rest import problem_message


def test_problem_messages() -> None:
    request = httpx.Request("GET", "http://server/api/v1/x")
    validation = httpx.Response(
        422,
        request=request,
        json={
            "type": "urn:crewboard:problem:validation",
            "detail": "the request does not match the schema",
            "errors": [{"loc": ["body", "reason"], "msg": "Field required"}],
        },
    )
    assert problem_message(validation) == (
        "the request does not match the schema (reason: Field required) [validation]"
    )
    plain = httpx.Response(502, request=request, text="<html>bad gateway</html>")
    assert problem_message(plain) == "HTTP 502 Bad Gateway from http://server/api/v1/x"
