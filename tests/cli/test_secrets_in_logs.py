"""No secret reaches a log line, the events table or a problem body.

A real ``crewboard serve`` process at ``CREWBOARD_LOG_LEVEL=DEBUG`` (so SQLAlchemy's and
httpx's own debug records are on too), its whole stdout and stderr captured to files, goes
through the life of an instance: setup secret, first admin, password logins (right and
wrong), cookie requests with CSRF tokens, tokens created and used (header, query string,
bad headers, forged), a webhook and its signing secret (its delivery attempted), MCP calls,
and the CLI's ``login --token-stdin`` and a command after it (their output too).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Event
from crewboard.services.core import unit_of_work
from tests.cli.admin.test_serve import SECRET, STARTUP_TIMEOUT, STOP_TIMEOUT, _free_port
from tests.support.cli import cli_env, run_subprocess
from tests.support.http import csrf_of
from tests.support.mcp import http_agent

pytestmark = pytest.mark.e2e

API = "/api/v1"
PASSWORD = "admin-password-Xq7"
WRONG = "wrong-password-Zr9"
NEW_PASSWORD = "changed-password-Kd2"


class Output:
    """A child's stdout and stderr, written to files as they come."""

    def __init__(self, folder: Path, name: str) -> None:
        self.out, self.err = folder / f"{name}.out", folder / f"{name}.err"

    def text(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")


async def wait_for_secret(output: Output, proc: asyncio.subprocess.Process) -> str:
    async with asyncio.timeout(STARTUP_TIMEOUT):
        while not (found := SECRET.search(output.text())):
            assert proc.returncode is None, output.text()
            await asyncio.sleep(0.05)
    return found.group(0)


async def wait_for_delivery(output: Output) -> None:
    """Until the job has tried the webhook's delivery (and logged it)."""
    async with asyncio.timeout(STARTUP_TIMEOUT):
        while "crewboard.jobs.webhooks" not in output.err.read_text():  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # a child's log file: nothing to wait on but its growth


async def wait_healthy(http: httpx.AsyncClient) -> None:
    async with asyncio.timeout(STARTUP_TIMEOUT):
        while True:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.05)


def check_problem(response: httpx.Response, problems: list[str]) -> httpx.Response:
    """Keep every refusal's body, to search it for secrets at the end."""
    if response.status_code >= 400:
        problems.append(response.text)
    return response


async def exercise(http: httpx.AsyncClient, setup_secret: str, url: str) -> dict[str, str]:
    """Everything that handles a secret; returns the secrets it saw, by name."""
    problems: list[str] = []
    secrets = {
        "setup": setup_secret,
        "password": PASSWORD,
        "wrong": WRONG,
        "new-password": NEW_PASSWORD,
    }
    body = {"setup_secret": setup_secret, "email": "root@example.com", "password": PASSWORD}
    assert (await http.post(f"{API}/auth/setup", json=body)).status_code == 201
    check_problem(await http.post(f"{API}/auth/setup", json=body), problems)  # used: 401
    login = {"email": "root@example.com", "password": WRONG}
    assert check_problem(await http.post(f"{API}/auth/login", json=login), problems).is_error
    login = {"email": "nobody@example.com", "password": WRONG}
    check_problem(await http.post(f"{API}/auth/login", json=login), problems)
    answer = await http.post(
        f"{API}/auth/login", json={**login, "email": "root@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    secrets["cookie"] = answer.cookies["crewboard_session"]
    secrets["csrf"] = csrf = answer.json()["csrf_token"]
    check_problem(await http.post(f"{API}/projects", json={"slug": "nocsrf"}), problems)
    wrong_csrf = {"x-csrf-token": csrf[::-1]}
    check_problem(
        await http.post(f"{API}/projects", json={"slug": "x"}, headers=wrong_csrf), problems
    )
    made = await http.post(f"{API}/projects", json={"slug": "shop"}, headers={"x-csrf-token": csrf})
    assert made.status_code == 201, made.text
    for path, payload in ((f"{API}/projects/shop/agents", {"name": "backend"}),):
        assert (await http.post(path, json=payload, headers={"x-csrf-token": csrf})).is_success
    person = await http.post(f"{API}/tokens", json={"name": "cli"}, headers={"x-csrf-token": csrf})
    secrets["person-token"] = person_token = person.json()["token"]
    changed = await http.patch(
        f"{API}/users/me",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"x-csrf-token": csrf},
    )
    assert changed.status_code == 200, changed.text
    http.cookies.clear()
    # The dashboard's login form: its double-submit token, then the session's form token.
    form = await http.get("/login")
    secrets["login-form-csrf"] = form_csrf = csrf_of(form.text)
    page = await http.post(
        "/login",
        data={
            "email": "root@example.com",
            "password": NEW_PASSWORD,
            "csrf_token": form_csrf,
            "next": "/",
        },
    )
    assert page.status_code == 303, page.text[:300]
    secrets["web-cookie"] = page.cookies["crewboard_session"]
    secrets["web-csrf"] = web_csrf = csrf_of((await http.get("/")).text)
    made = await http.post("/p/shop/tasks", data={"title": "From the form", "csrf_token": web_csrf})
    assert made.status_code == 303
    check_problem(
        await http.post("/p/shop/tasks", data={"title": "x", "csrf_token": "bad"}), problems
    )
    http.cookies.clear()
    bearer = {"authorization": f"Bearer {person_token}"}
    agent = await http.post(
        f"{API}/tokens", json={"project": "shop", "agent_name": "backend"}, headers=bearer
    )
    secrets["agent-token"] = agent_token = agent.json()["token"]
    hook = await http.post(
        f"{API}/projects/shop/webhooks", json={"url": url + "/hook"}, headers=bearer
    )
    assert hook.status_code == 201, hook.text
    secrets["webhook"] = hook.json()["secret"]
    assert (
        await http.post(f"{API}/projects/shop/webhooks/{hook.json()['id']}/ping", headers=bearer)
    ).status_code == 202
    secrets["forged"] = forged = "cb_" + "F" * 43
    basic = base64.b64encode(f"root@example.com:{NEW_PASSWORD}".encode()).decode()
    for headers in (
        {"authorization": f"Bearer {forged}"},
        {"authorization": f"Basic {basic}"},
        {"authorization": f"Token {person_token}"},
        {"authorization": f"Bearer {person_token}x"},
        {"x-api-key": person_token},
    ):
        check_problem(await http.get(f"{API}/auth/me", headers=headers), problems)
    secrets["basic"] = basic
    check_problem(await http.get(f"{API}/auth/me", params={"token": person_token}), problems)
    check_problem(
        await http.get(f"{API}/projects/shop/tasks?token={agent_token}&x=1", headers=bearer),
        problems,
    )
    async with http_agent(url, agent_token) as mcp:
        await mcp.ok("TaskCreate", subject="From MCP")
        await mcp.error("SendMessage", "invalid", to="nobody", message="x")
    check_problem(
        await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"authorization": f"Bearer {forged}", "accept": "application/json"},
        ),
        problems,
    )
    for text in problems:
        for name, secret in secrets.items():
            assert secret not in text, (name, text[:300])
    return secrets


async def test_no_secret_in_any_log_line(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    output = Output(tmp_path, "serve")
    with output.out.open("wb") as out, output.err.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "crewboard",
            "serve",
            "--port",
            str(port),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=cli_env(
                settings.database_url,
                CREWBOARD_LOG_LEVEL="DEBUG",
                CREWBOARD_WEBHOOK_TIMEOUT_SECONDS="1",
                CREWBOARD_WEBHOOK_CHECK_SECONDS="0.2",
                CREWBOARD_WEBHOOK_ALLOW_PRIVATE="true",
            ),
        )
    try:
        setup_secret = await wait_for_secret(output, proc)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            await wait_healthy(http)
            secrets = await exercise(http, setup_secret, url)
            cli = Output(tmp_path, "cli")
            env = cli_env(
                settings.database_url,
                CREWBOARD_LOG_LEVEL="DEBUG",
                CREWBOARD_CONFIG_DIR=str(tmp_path / "config"),
            )
            del env["CREWBOARD_DATABASE_URL"]
            logged_in = await run_subprocess(
                env, "login", url, "--token-stdin", stdin=secrets["agent-token"] + "\n"
            )
            assert logged_in.code == 0, logged_in
            listed = await run_subprocess(env, "task", "list")
            assert listed.code == 0, listed
            cli.out.write_text(logged_in.stdout + listed.stdout)
            cli.err.write_text(logged_in.stderr + listed.stderr)
            assert "HTTP Request: GET" in cli.text()  # the client's debug log is on
            await wait_for_delivery(output)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
    logged = output.text()
    assert " DEBUG " in logged  # the level was really DEBUG
    assert "POST /api/v1/auth/login 200" in logged
    setup_lines = [line for line in logged.splitlines() if secrets["setup"] in line]
    # The setup secret is console output for the operator (printed once, not a log record).
    assert setup_lines
    assert not any(re.search(r" (DEBUG|INFO|WARNING|ERROR) ", line) for line in setup_lines)
    for name, secret in secrets.items():
        if name == "setup":
            logged = logged.replace(secret, "")
        assert secret not in logged, (name, [ln for ln in logged.splitlines() if secret in ln])
        assert secret not in cli.text(), name
    await assert_no_secret_in_events(database, secrets)


async def assert_no_secret_in_events(database: Database, secrets: dict[str, str]) -> None:
    async with unit_of_work(database, write=False) as session:
        events = (await session.scalars(select(Event))).all()
    assert events
    stored: list[Any] = [(e.actor, e.kind, e.subject, e.data) for e in events]
    text = json.dumps(stored, default=str)
    for name, secret in secrets.items():
        assert secret not in text, name
