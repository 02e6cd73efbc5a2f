"""``crewboard msg``: send messages and read your inbox over the REST API (send, inbox,
read). The live stream of new messages is not part of these verbs."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crewboard.cli.app import new_app
from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.cli.output import JsonFlag, emit_line, emit_table, when
from crewboard.cli.remote.connection import (
    LimitOption,
    ProjectOption,
    drop_none,
    emit_api_json,
    listing,
    parse,
)
from crewboard.cli.remote.presenters import sent_line
from crewboard.client.project import connect
from crewboard.schemas.messages import InboxMessage, MessageRead

app = new_app(
    "Messages, over the API: send one, list your inbox, mark messages read. Addresses: an "
    "agent's name (backend), @ and a project member's e-mail (@ada@example.com), or "
    "team:NAME for a broadcast to every member of a team."
)

TEAM_PREFIX = "team:"
KINDS = (
    "message",
    "shutdown_request",
    "shutdown_response",
    "plan_approval_request",
    "plan_approval_response",
    "idle",
)


def _kind(value: str | None) -> str | None:
    if value is not None and value not in KINDS:
        raise typer.BadParameter("one of " + ", ".join(KINDS))
    return value


@app.command("send")
def send(
    to: Annotated[
        str,
        typer.Argument(metavar="TO", help="An agent, @e-mail of a member, or team:NAME."),
    ],
    body: Annotated[str, typer.Argument(metavar="BODY", help="The text ('' for a bare answer).")],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            metavar="KIND",
            callback=_kind,
            help="message (default), shutdown_request, shutdown_response, "
            "plan_approval_request, plan_approval_response, idle.",
        ),
    ] = None,
    team: Annotated[
        str | None, typer.Option("--team", metavar="TEAM", help="The team it concerns.")
    ] = None,
    summary: Annotated[
        str | None, typer.Option("--summary", metavar="TEXT", help="A one-line preview.")
    ] = None,
    reply_to: Annotated[
        int | None, typer.Option("--reply-to", metavar="ID", help="The message answered.")
    ] = None,
    request_id: Annotated[
        str | None,
        typer.Option(
            "--request-id",
            metavar="ID",
            help="A request's id (made up when left out), or the one a response answers.",
        ),
    ] = None,
    approve: Annotated[
        bool | None,
        typer.Option("--approve/--reject", help="A response's answer."),
    ] = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Send a message as yourself (the token's agent, or your @e-mail)."""
    fields: dict[str, object] = drop_none(
        to=to,
        body=body,
        kind=kind,
        team=team,
        summary=summary,
        reply_to=reply_to,
        request_id=request_id,
        approve=approve,
    )
    if to.startswith(TEAM_PREFIX):
        if (kind is not None and kind != "message") or team is not None:
            raise CliError("team:NAME broadcasts; it takes no --kind or --team", EXIT_USAGE)
        fields.update(kind="broadcast", team=to.removeprefix(TEAM_PREFIX))
        del fields["to"]
    with connect(project) as remote:
        data = remote.post("messages", body=fields)
    if as_json:
        emit_api_json(data)
    else:
        emit_line(sent_line(parse(MessageRead, data)))


@app.command("inbox")
def inbox(
    every: Annotated[
        bool, typer.Option("--all", help="Read messages too, not only unread ones.")
    ] = False,
    after: Annotated[
        int | None, typer.Option("--after", metavar="ID", help="Only messages after this id.")
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent",
            metavar="AGENT",
            help="Another agent's inbox (members and owners; read-only).",
        ),
    ] = None,
    limit: LimitOption = 50,
    pages: Annotated[bool, typer.Option("--pages", help="Every page, not only the first.")] = False,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Your inbox, oldest first: unread messages (--all: every one)."""
    params: dict[str, Any] = drop_none(all=every or None, after=after, agent=agent)
    with connect(project) as remote:
        items = listing(remote, "inbox", params=params, limit=limit, every=pages, noun="messages")
    if as_json:
        emit_api_json(items)
        return
    messages = [parse(InboxMessage, item) for item in items]
    emit_table(
        "Messages",
        ("id", "from", "kind", "team", "sent", "read", "text"),
        [
            (
                str(m.id),
                m.sender,
                m.kind,
                m.team or "",
                when(m.created_at),
                when(m.read_at),
                m.summary or m.body,
            )
            for m in messages
        ],
    )


@app.command("read")
def read(
    ids: Annotated[
        list[int] | None, typer.Argument(metavar="ID...", help="Messages of your inbox.")
    ] = None,
    up_to: Annotated[
        int | None,
        typer.Option("--up-to", metavar="ID", help="Every message up to this id instead."),
    ] = None,
    ack: Annotated[
        bool, typer.Option("--ack", help="Acknowledge the named messages (marks them read).")
    ] = False,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Mark messages of your inbox read (or acknowledge them)."""
    if bool(ids) == (up_to is not None):
        raise CliError("name message ids, or give --up-to ID", EXIT_USAGE)
    if ack and not ids:
        raise CliError("--ack takes message ids, not --up-to", EXIT_USAGE)
    with connect(project) as remote:
        if ack:
            acked = [remote.post("inbox", i, "ack") for i in ids or []]
            if as_json:
                emit_api_json(acked)
            else:
                emit_line("acknowledged message " + ", ".join(str(i) for i in ids or []))
            return
        body: dict[str, object] = {"ids": ids} if ids else {"up_to": up_to}
        data = remote.post("inbox", "read", body=body)
    if as_json:
        emit_api_json(data)
    else:
        count = int(data["marked"])
        emit_line(f"marked {count} message{'s' * (count != 1)} read")
