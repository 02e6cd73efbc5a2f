"""``crewboard login`` / ``logout`` and how the client commands find server, token and project."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.cli.crew import LEAD, Crew
from tests.support.cli import assert_one_line_error, cli_env, run_subprocess
from tests.support.live import closed_port_url
from tests.support.world import SLUG


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_login_with_an_agent_token_stores_it_privately(crew: Crew) -> None:
    token = crew.token("backend")
    result = await crew.run("login", crew.url + "/", "--token", token)
    assert result.code == 0, result
    assert token not in result.stdout + result.stderr
    assert "agent backend of project shop" in result.stdout
    assert json.loads(crew.credentials_file.read_text()) == {
        "url": crew.url,
        "token": token,
        "project": SLUG,
    }
    assert _mode(crew.credentials_file) == 0o600
    assert _mode(crew.config_dir) == 0o700
    # The stored login is enough for the client commands: the task is created as backend.
    added = await crew.json("task", "add", "Stored login works")
    assert added["created_by"] == "backend"


async def test_login_reads_the_token_from_stdin(crew: Crew) -> None:
    token = crew.token("qa")
    result = await crew.run("login", crew.url, "--token-stdin", stdin=token + "\n")
    assert result.code == 0, result
    assert token not in result.stdout + result.stderr
    assert json.loads(crew.credentials_file.read_text())["token"] == token


async def test_a_person_logs_in_with_a_default_project(crew: Crew) -> None:
    result = await crew.run("login", crew.url, "--token", crew.token(LEAD), "--project", SLUG)
    assert result.code == 0, result
    assert "lead@example.com, project shop" in result.stdout
    assert (await crew.run("task", "list")).code == 0


async def test_a_person_without_a_project_is_told_to_name_one(crew: Crew) -> None:
    assert (await crew.run("login", crew.url, "--token", crew.token(LEAD))).code == 0
    assert_one_line_error(await crew.run("task", "list"), 2, "no project", "--project")
    # ... which --project or CREWBOARD_PROJECT gives.
    assert (await crew.run("task", "list", "--project", SLUG)).code == 0
    crew.monkeypatch.setenv("CREWBOARD_PROJECT", SLUG)
    assert (await crew.run("task", "list")).code == 0


async def test_a_bad_token_is_refused_and_nothing_is_written(crew: Crew) -> None:
    result = await crew.run("login", crew.url, "--token", "cb_not-a-real-token")
    assert_one_line_error(result, 4, "[invalid-token]")
    assert "cb_not-a-real-token" not in result.stderr
    assert not crew.config_dir.exists()


async def test_login_refuses_another_project_for_an_agent_token(crew: Crew) -> None:
    result = await crew.run("login", crew.url, "--token", crew.token("qa"), "--project", "other")
    assert_one_line_error(result, 2, "bound to project shop")
    assert not crew.config_dir.exists()


async def test_login_to_a_project_one_cannot_see_fails(crew: Crew) -> None:
    result = await crew.run("login", crew.url, "--token", crew.token(LEAD), "--project", "nope")
    assert_one_line_error(result, 3, "[not-found]")
    assert not crew.config_dir.exists()


async def test_login_needs_exactly_one_token_source_and_a_url(crew: Crew) -> None:
    assert_one_line_error(await crew.run("login", crew.url), 2, "--token")
    both = await crew.run("login", crew.url, "--token", "x", "--token-stdin", stdin="y\n")
    assert_one_line_error(both, 2, "--token")
    assert_one_line_error(await crew.run("login", crew.url, "--token-stdin"), 2, "no token")
    assert_one_line_error(await crew.run("login", "ftp://host", "--token", "x"), 2, "not a server")
    assert not crew.config_dir.exists()


async def test_login_to_a_server_that_is_down_names_the_url(crew: Crew) -> None:
    url = closed_port_url()
    result = await crew.run("login", url, "--token", crew.token("qa"))
    assert_one_line_error(result, 1, f"cannot reach the crewboard server at {url}")
    assert not crew.config_dir.exists()


async def test_logout_forgets_the_login(crew: Crew) -> None:
    assert (await crew.run("login", crew.url, "--token", crew.token("qa"))).code == 0
    result = await crew.run("logout")
    assert result.code == 0, result
    assert "forgot" in result.stdout
    assert not crew.credentials_file.exists()
    assert_one_line_error(await crew.run("task", "list"), 4, "not logged in")
    again = await crew.run("logout")
    assert (again.code, again.stdout.strip()) == (0, "not logged in; nothing to forget")


async def test_no_credentials_at_all_is_one_line(crew: Crew) -> None:
    result = await crew.run("task", "list")
    assert_one_line_error(result, 4, "not logged in", "crewboard login", "CREWBOARD_TOKEN")


async def test_environment_overrides_the_stored_login(crew: Crew) -> None:
    assert (await crew.run("login", crew.url, "--token", crew.token("backend"))).code == 0
    await crew.world.task("Shared work")
    # CREWBOARD_TOKEN: another agent (its project comes from the server: /auth/me).
    crew.monkeypatch.setenv("CREWBOARD_TOKEN", crew.token("qa"))
    claimed = await crew.json("task", "claim")
    assert claimed["owner"] == "qa"
    # CREWBOARD_URL: another server, here one that is down.
    down = closed_port_url()
    crew.monkeypatch.setenv("CREWBOARD_URL", down)
    assert_one_line_error(await crew.run("task", "list"), 1, down)
    crew.monkeypatch.delenv("CREWBOARD_URL")
    # CREWBOARD_PROJECT: the qa token is bound to shop, so another project is refused.
    crew.monkeypatch.setenv("CREWBOARD_PROJECT", "other")
    assert_one_line_error(await crew.run("task", "list"), 3)


async def test_a_damaged_credentials_file_is_one_line(crew: Crew) -> None:
    crew.config_dir.mkdir()
    crew.credentials_file.write_text("{not json")
    assert_one_line_error(await crew.run("task", "list"), 2, "cannot read", "credentials.json")


@pytest.mark.e2e
async def test_the_real_command_keeps_stderr_clean_and_the_token_secret(crew: Crew) -> None:
    """``python -m crewboard`` (logging configured as in real use): JSON only, no token."""
    await crew.world.task("Seen from a subprocess")
    token = crew.token("reviewer")
    env = cli_env(
        crew.world.settings.database_url,
        CREWBOARD_URL=crew.url,
        CREWBOARD_TOKEN=token,
        CREWBOARD_CONFIG_DIR=str(crew.config_dir),
    )
    result = await run_subprocess(env, "task", "list", "--json")
    assert (result.code, result.stderr) == (0, ""), result
    assert [t["title"] for t in json.loads(result.stdout)] == ["Seen from a subprocess"]
    verbose = await run_subprocess({**env, "CREWBOARD_LOG_LEVEL": "DEBUG"}, "task", "show", "1")
    assert verbose.code == 0, verbose
    assert "HTTP Request: GET" in verbose.stderr  # the request is logged ...
    assert token not in verbose.stdout + verbose.stderr  # ... its credential never
