"""A small synchronous client of the REST API, for the client commands.

Problem responses (RFC 9457) become one-line ``ClientError`` s, ``<detail> [<type code>]``,
carrying the HTTP status; a server that cannot be reached is one line naming its URL.
The token goes in the ``Authorization`` header and nowhere else: never in a message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from crewboard import __version__
from crewboard.client.errors import ClientError, one_line

API_PREFIX = "/api/v1"
USER_AGENT = f"crewboard-cli/{__version__}"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
PROBLEM_PREFIX = "urn:crewboard:problem:"

Params = Mapping[str, str | int | bool | Sequence[str] | None]


def segment(value: str | int) -> str:
    """A value made safe as one path segment (the server validates it)."""
    return quote(str(value), safe="")


def _field_errors(errors: object) -> str:
    if not isinstance(errors, list):
        return ""
    shown = []
    for error in errors[:3]:
        if not isinstance(error, dict):
            continue
        loc = [str(part) for part in error.get("loc", []) if part not in ("body", "query")]
        message = str(error.get("msg", ""))
        shown.append(f"{'.'.join(loc)}: {message}" if loc else message)
    more = f"; and {len(errors) - 3} more" if len(errors) > 3 else ""
    return "; ".join(shown) + more


def problem_message(response: httpx.Response) -> str:
    """``<detail> [<type code>]`` from a problem body; a plain status line otherwise."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("detail"), str):
        return f"HTTP {response.status_code} {response.reason_phrase} from {response.url}"
    detail = body["detail"]
    code = str(body.get("type", "")).removeprefix(PROBLEM_PREFIX)
    fields = _field_errors(body.get("errors")) if code == "validation" else ""
    text = f"{detail} ({fields})" if fields else detail
    return f"{text} [{code}]" if code else text


class ApiClient:
    """One server and one token; ``request`` returns the decoded JSON of a 2xx answer."""

    def __init__(self, url: str, token: str, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.url = url
        self._http = httpx.Client(
            base_url=url + API_PREFIX,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=timeout,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(
        self, method: str, path: str, *, json: object = None, params: Params | None = None
    ) -> Any:
        """Send one request; a problem answer or a transport failure becomes a ``ClientError``."""
        response = self._send(method, path, json=json, params=params)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ClientError(
                f"the server at {self.url} answered {method} {path} with something other than "
                "JSON; is this URL a crewboard server?"
            ) from exc

    def text(self, path: str) -> str:
        """The body of a GET that answers text (the markdown files)."""
        return self._send("GET", path, headers={"Accept": "text/markdown"}).text

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        params: Params | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        query = {k: v for k, v in (params or {}).items() if v is not None and v is not False}
        try:
            response = self._http.request(
                method, path, json=json, params=query or None, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise ClientError(f"the crewboard server at {self.url} did not answer in time") from exc
        except httpx.TransportError as exc:
            reason = one_line(str(exc), 200) or type(exc).__name__
            raise ClientError(f"cannot reach the crewboard server at {self.url}: {reason}") from exc
        if response.is_error:
            raise ClientError(problem_message(response), response.status_code)
        if response.is_redirect:  # not followed: the token must not travel somewhere else
            where = response.headers.get("location", "elsewhere")
            raise ClientError(
                f"the server at {self.url} redirects to {where}; use that URL instead"
            )
        return response

    def get(self, path: str, params: Params | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, object] | None = None) -> Any:
        return self.request("POST", path, json=dict(body or {}))

    def pages(
        self, path: str, params: Params, *, size: int, follow: bool
    ) -> Iterator[dict[str, Any]]:
        """The first page of a listing, or with ``follow`` every page (``next_cursor``)."""
        cursor: str | None = None
        while True:
            page = self.get(path, {**params, "limit": size, "cursor": cursor})
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise ClientError(f"unexpected answer from {self.url} to GET {path}")
            yield page
            cursor = page.get("next_cursor")
            if not follow or not cursor:
                return
