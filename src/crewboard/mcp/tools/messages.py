"""Message tools: SendMessage (both of Claude Code's forms) and InboxRead."""

from __future__ import annotations

from typing import Any

from crewboard.mcp.registry import Call, fit, tool
from crewboard.mcp.schemas import InboxReadArgs, SendMessageArgs
from crewboard.services.core import Invalid
from crewboard.services.messages import InboxItem, InboxService, Kind, MessageService, Outgoing
from crewboard.services.teams import sender_team

BROADCAST_ALL = "*"
# Keys of a structured protocol message, and which of them may carry its text.
PROTOCOL_KEYS = frozenset({"type", "request_id", "approve", "content", "reason", "feedback"})
TEXT_KEYS = ("content", "reason", "feedback")


def _structured(message: dict[str, Any]) -> tuple[str, str, str | None, bool | None]:
    """(kind, body, request_id, approve) of a protocol message like
    ``{"type": "shutdown_response", "request_id": "…", "approve": true}``."""
    unknown = sorted(set(message) - PROTOCOL_KEYS)
    if unknown:
        raise Invalid(f"unknown key {unknown[0]!r} in a protocol message", field="message")
    kind, request_id, approve = (
        message.get("type"),
        message.get("request_id"),
        message.get("approve"),
    )
    if not isinstance(kind, str):
        raise Invalid("a protocol message names its type", field="message")
    if request_id is not None and not isinstance(request_id, str):
        raise Invalid("request_id is a string", field="message")
    if approve is not None and not isinstance(approve, bool):
        raise Invalid("approve is true or false", field="message")
    texts = [message[k] for k in TEXT_KEYS if message.get(k) is not None]
    if any(not isinstance(t, str) for t in texts):
        raise Invalid("a protocol message's text is a string", field="message")
    return kind, "\n".join(texts), request_id, approve


def outgoing(args: SendMessageArgs) -> tuple[Outgoing, bool]:
    """The message to send, and whether it goes to the sender's team (``"*"``)."""
    if args.type is not None and args.message is None:  # the older form
        kind, to, body = args.type, args.recipient, args.content or ""
        request_id, approve = args.request_id, args.approve
    else:
        if args.recipient is not None or args.content is not None:
            raise Invalid(
                "use either {to, message} or {type, recipient, content}", field="recipient"
            )
        kind, to, body = args.type or Kind.MESSAGE.value, args.to, ""
        request_id, approve = args.request_id, args.approve
        if isinstance(args.message, dict):
            kind, body, sent_id, sent_approve = _structured(args.message)
            request_id = sent_id or request_id
            approve = sent_approve if sent_approve is not None else approve
        elif args.message is not None:
            body = args.message
    to_team = to == BROADCAST_ALL or kind == Kind.BROADCAST.value
    if to_team:
        if kind not in (Kind.MESSAGE.value, Kind.BROADCAST.value):
            raise Invalid(f'a {kind} goes to one agent, not to "*"', field="to")
        kind, to = Kind.BROADCAST.value, None
    elif to is None and kind not in RESPONSE_KINDS:
        # A response needs none: it goes to whoever sent the request (as Claude Code sends it).
        raise Invalid('name a recipient: an agent, "@email" or "*"', field="to")
    out = Outgoing(
        to=to, kind=kind, body=body, summary=args.summary, request_id=request_id, approve=approve
    )
    return out, to_team


RESPONSE_KINDS = frozenset({"shutdown_response", "plan_approval_response"})


@tool(
    "SendMessage",
    'Message a teammate (to: agent name, or "*" for your whole team). '
    "Also accepts {type, recipient, content, summary, request_id, approve}.",
    SendMessageArgs,
    write=True,
)
async def send_message(call: Call, args: SendMessageArgs) -> dict[str, Any]:
    out, to_team = outgoing(args)
    team = args.team_name
    if to_team:
        team = await sender_team(call.session, call.actor, call.slug, args.team_name)
    view = await MessageService(call.session, call.settings).send(
        call.actor,
        call.slug,
        Outgoing(
            to=out.to,
            kind=out.kind,
            body=out.body,
            summary=out.summary,
            team=team,
            request_id=out.request_id,
            approve=out.approve,
        ),
    )
    answer: dict[str, Any] = {"success": True, "id": view.message.id, "recipients": view.recipients}
    if view.message.request_id:
        answer["request_id"] = view.message.request_id
    return answer


def inbox_message(item: InboxItem, read: bool) -> dict[str, Any]:
    """A message as InboxRead shows it (absent fields are left out)."""
    m = item.message
    shown: dict[str, Any] = {
        "id": m.id,
        "from": m.sender,
        "text": m.body,
        "summary": m.summary,
        "kind": m.kind,
        "timestamp": m.created_at.isoformat(),
        "read": read,
    }
    extras = {
        "request_id": m.request_id,
        "approve": m.approve,
        "team_name": item.team,
        "replyTo": m.reply_to,
    }
    shown.update({k: v for k, v in extras.items() if v is not None})
    return shown


def _inbox_write(args: InboxReadArgs) -> bool:
    return args.mark_read


@tool(
    "InboxRead",
    "Your messages, oldest first (unread only by default); marks them read unless mark_read=false.",
    InboxReadArgs,
    write=_inbox_write,
)
async def inbox_read(call: Call, args: InboxReadArgs) -> dict[str, Any]:
    service = InboxService(call.session)
    items: list[InboxItem] = []

    async def fetch(limit: int) -> dict[str, Any]:
        page = await service.list(
            call.actor, call.slug, unread=args.unread_only, cursor=args.cursor, limit=limit
        )
        items[:] = page.items
        shown = [
            inbox_message(i, args.mark_read or i.delivery.read_at is not None) for i in page.items
        ]
        return {"messages": shown, "nextCursor": page.next_cursor}

    answer = await fit(fetch, args.limit)
    unread = [i.message.id for i in items if i.delivery.read_at is None]
    if args.mark_read and unread:
        await service.mark_read(call.actor, call.slug, ids=unread)
    return answer


TOOLS = [send_message, inbox_read]
