"""MessageService: direct messages, team broadcasts, replies and the protocol kinds.

The sender is always the authenticated identity (an agent token's agent, an agent-role
person's agent, otherwise the person's ``@e-mail``); recipients are validated, so nothing
is ever delivered to an inbox nobody owns. Rules and permissions: docs/messages.md.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import Member, User
from crewboard.models.messages import Delivery, Message
from crewboard.models.teams import TeamMember
from crewboard.services.core import (
    EMAIL_MAX,
    REQUEST_ID_MAX,
    Actor,
    Conflict,
    Invalid,
    NotFound,
    check_agent_name,
    check_limit,
    check_text,
)
from crewboard.services.messages.limits import check_send
from crewboard.services.messages.store import (
    BODY_MAX,
    HUMAN_PREFIX,
    REQUESTS,
    RESPONSES,
    SUMMARY_MAX,
    SYSTEM_KINDS,
    Kind,
    address_of,
    deliver,
    is_agent_address,
)
from crewboard.services.projects import (
    ProjectAccess,
    ProjectService,
    Role,
    on_roster,
    require_team,
    team_names,
)

# "@" too: Claude Code's own request ids look like "shutdown-1770840000000@qa".
_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$")


@dataclass(frozen=True, slots=True)
class MessageView:
    """A message, who it went to, and its team's name."""

    message: Message
    recipients: list[str]
    team: str | None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a caller asks to send (checked by ``MessageService.send``)."""

    to: str | None = None
    kind: str = Kind.MESSAGE.value
    body: str = ""
    summary: str | None = None
    team: str | None = None
    reply_to: int | None = None
    request_id: str | None = None
    approve: bool | None = None


def check_kind(kind: str) -> Kind:
    """A kind a caller may send (crewboard's own notices are not among them)."""
    try:
        value = Kind(kind)
    except ValueError:
        raise Invalid("unknown message kind", field="kind") from None
    if value in SYSTEM_KINDS:
        raise Invalid(f"{value.value} messages are sent by crewboard itself", field="kind")
    return value


def check_request_id(value: str) -> str:
    """A protocol request id: 1-64 letters, digits, ``.``, ``_``, ``:``, ``@`` or ``-``."""
    if not _REQUEST_ID.match(value):
        raise Invalid(
            f"a request_id is 1-{REQUEST_ID_MAX} letters, digits, '.', '_', ':', '@' or '-'",
            field="request_id",
        )
    return value


class MessageService:
    """Send and read messages of one project."""

    def __init__(self, session: AsyncSession, settings: Settings | None = None) -> None:
        """``settings`` bound what a sender may send (limits.py); without them, the
        defaults."""
        self.session = session
        self.settings = settings or Settings()
        self.projects = ProjectService(session)

    async def send(self, actor: Actor, slug: str, out: Outgoing) -> MessageView:
        """Send a message as the actor; nothing is written unless every check passes."""
        access = await self.projects.access(actor, slug, need=Role.AGENT, write=True)
        me = await address_of(self.session, actor, access.agent_name)
        kind = check_kind(out.kind)
        body = check_text(out.body, "body", BODY_MAX, required=kind not in RESPONSES)
        summary = None
        if out.summary is not None:
            summary = check_text(out.summary, "summary", SUMMARY_MAX, required=False) or None
            if summary and "\n" in summary:
                raise Invalid("summary is one line", field="summary")
        team = await require_team(self.session, access.project, out.team) if out.team else None
        parent = await self._parent(access, me, out.reply_to)
        request_id = await self._protocol(access, me, kind, out)
        to = out.to
        if kind is Kind.BROADCAST:
            if to is not None:
                raise Invalid("a broadcast goes to a team: name the team, not to", field="to")
            if team is None:
                raise Invalid("a broadcast needs a team", field="team")
            recipients = await self._team_members(team.id, me)
        else:
            requester = None
            if kind in RESPONSES:
                requester = await self._requester(access, kind, request_id)
                to = to or requester
            if to is None and parent is not None:
                to = parent.sender  # a reply goes back to whoever wrote the message
            if to is None:
                raise Invalid("name a recipient", field="to")
            recipients = [await self._recipient(access, to)]
            if requester is not None and recipients[0] != requester:
                raise Invalid("a response goes to whoever sent the request", field="to")
        await check_send(self.session, self.settings, access.project.id, me, recipients)
        message = await deliver(
            self.session,
            actor,
            project_id=access.project.id,
            sender=me,
            recipients=recipients,
            kind=kind,
            body=body,
            summary=summary,
            team_id=team.id if team else None,
            request_id=request_id,
            reply_to=parent.id if parent else None,
            approve=out.approve,
            about={"team": team.name} if team else None,
        )
        return MessageView(message, list(dict.fromkeys(recipients)), team.name if team else None)

    async def get(self, actor: Actor, slug: str, message_id: int) -> MessageView:
        """One message, for its sender and recipients; members and owners may read any
        message an agent sent or received (never a message between people only)."""
        access = await self.projects.access(actor, slug)
        me = await address_of(self.session, actor, access.agent_name)
        message = await self.session.scalar(
            select(Message).where(Message.project_id == access.project.id, Message.id == message_id)
        )
        if message is None:
            raise NotFound(f"no message {message_id} in project {slug}")
        recipients = list(
            (
                await self.session.scalars(
                    select(Delivery.recipient)
                    .where(Delivery.message_id == message.id)
                    .order_by(Delivery.recipient)
                )
            ).all()
        )
        if not _may_read(access, me, {message.sender, *recipients}):
            raise NotFound(f"no message {message_id} in project {slug}")
        names = await team_names(self.session, [message.team_id] if message.team_id else [])
        return MessageView(message, recipients, names.get(message.team_id or 0))

    async def readable(self, actor: Actor, slug: str, *, limit: int = 200) -> list[MessageView]:
        """The project's newest messages (``limit`` of them, before the rule) that the actor
        may read by ``get``'s rule, newest first: the project's conversation at a glance."""
        access = await self.projects.access(actor, slug)
        me = await address_of(self.session, actor, access.agent_name)
        messages = (
            await self.session.scalars(
                select(Message)
                .where(Message.project_id == access.project.id)
                .order_by(Message.id.desc())
                .limit(check_limit(limit))
            )
        ).all()
        recipients: dict[int, list[str]] = {m.id: [] for m in messages}
        if messages:
            rows = await self.session.execute(
                select(Delivery.message_id, Delivery.recipient)
                .where(Delivery.message_id.in_(list(recipients)))
                .order_by(Delivery.message_id, Delivery.recipient)
            )
            for message_id, recipient in rows.all():
                recipients[message_id].append(recipient)
        names = await team_names(self.session, (m.team_id for m in messages if m.team_id))
        return [
            MessageView(m, recipients[m.id], names.get(m.team_id or 0))
            for m in messages
            if _may_read(access, me, {m.sender, *recipients[m.id]})
        ]

    # -- checks ---------------------------------------------------------------------------

    async def _parent(self, access: ProjectAccess, me: str, reply_to: int | None) -> Message | None:
        """The message replied to: one the sender wrote or received, in this project."""
        if reply_to is None:
            return None
        received = exists().where(Delivery.message_id == Message.id, Delivery.recipient == me)
        parent = await self.session.scalar(
            select(Message).where(
                Message.project_id == access.project.id,
                Message.id == reply_to,
                (Message.sender == me) | received,
            )
        )
        if parent is None:
            raise Invalid("reply_to names no message of yours", field="reply_to")
        return parent

    async def _protocol(
        self, access: ProjectAccess, me: str, kind: Kind, out: Outgoing
    ) -> str | None:
        """The request id of a protocol message (a new one for a request without one)."""
        if out.approve is not None and kind not in RESPONSES:
            raise Invalid("approve goes with a response kind", field="approve")
        if kind in REQUESTS:
            if not out.request_id:
                return uuid.uuid4().hex
            request_id = check_request_id(out.request_id)
            taken = await self.session.scalar(
                select(Message.id).where(
                    Message.project_id == access.project.id,
                    Message.request_id == request_id,
                    Message.kind.in_([k.value for k in REQUESTS]),
                )
            )
            if taken is not None:
                raise Conflict("a request with this request_id exists", code="duplicate")
            return request_id
        if kind not in RESPONSES:
            if out.request_id is not None:
                raise Invalid("request_id goes with a protocol kind", field="request_id")
            return None
        if out.approve is None:
            raise Invalid(f"a {kind.value} says approve: true or false", field="approve")
        if not out.request_id:  # the latest open request to the sender is the one answered
            return await self._open_request(access, me, kind)
        request_id = check_request_id(out.request_id)
        if out.approve is None:
            raise Invalid(f"a {kind.value} says approve: true or false", field="approve")
        asked = exists().where(Delivery.message_id == Message.id, Delivery.recipient == me)
        found = await self.session.scalar(
            select(Message.id).where(
                Message.project_id == access.project.id,
                Message.request_id == request_id,
                Message.kind == RESPONSES[kind].value,
                asked,
            )
        )
        if found is None:
            raise Invalid(
                f"no {RESPONSES[kind].value} with this request_id was sent to you",
                field="request_id",
            )
        answered = await self.session.scalar(
            select(Message.id).where(
                Message.project_id == access.project.id,
                Message.request_id == request_id,
                Message.kind == kind.value,
                Message.sender == me,
            )
        )
        if answered is not None:
            raise Conflict("you already answered this request", code="already-answered")
        return request_id

    async def _open_request(self, access: ProjectAccess, me: str, kind: Kind) -> str:
        """The request id of the latest request of ``kind``'s sort sent to ``me`` and not
        answered yet."""
        answered = select(Message.request_id).where(
            Message.project_id == access.project.id,
            Message.kind == kind.value,
            Message.sender == me,
        )
        request_id = await self.session.scalar(
            select(Message.request_id)
            .join(Delivery, Delivery.message_id == Message.id)
            .where(
                Message.project_id == access.project.id,
                Message.kind == RESPONSES[kind].value,
                Delivery.recipient == me,
                Message.request_id.not_in(answered),
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
        if request_id is None:
            raise Invalid(
                f"no open {RESPONSES[kind].value} was sent to you: name its request_id",
                field="request_id",
            )
        return request_id

    async def _requester(self, access: ProjectAccess, kind: Kind, request_id: str | None) -> str:
        sender = await self.session.scalar(
            select(Message.sender)
            .where(
                Message.project_id == access.project.id,
                Message.request_id == request_id,
                Message.kind == RESPONSES[kind].value,
            )
            .order_by(Message.id)
            .limit(1)
        )
        return sender or ""

    async def _recipient(self, access: ProjectAccess, to: str) -> str:
        """An agent on the roster, or ``@e-mail`` of a project member (422 naming ``to``)."""
        if to.startswith(HUMAN_PREFIX):
            email = to[1:].strip().lower()
            member = None
            # No address holds a control character; PostgreSQL cannot even take a NUL.
            if 0 < len(email) <= EMAIL_MAX and not any(ord(ch) < 32 for ch in email):
                member = await self.session.scalar(
                    select(Member.user_id)
                    .join(User, User.id == Member.user_id)
                    .where(Member.project_id == access.project.id, User.email == email)
                )
            if member is None:
                raise Invalid("no project member has that e-mail address", field="to")
            return HUMAN_PREFIX + email
        try:
            check_agent_name(to)
        except Invalid:
            raise Invalid(
                "a recipient is a roster agent's name or @ and a member's e-mail", field="to"
            ) from None
        if not await on_roster(self.session, access.project, to):
            raise Invalid(f"no agent {to} on the roster of {access.project.slug}", field="to")
        return to

    async def _team_members(self, team_id: int, me: str) -> list[str]:
        """Every member of the team but the sender, each once."""
        names = (
            await self.session.scalars(
                select(TeamMember.agent_name)
                .where(TeamMember.team_id == team_id, TeamMember.agent_name != me)
                .order_by(TeamMember.agent_name)
            )
        ).all()
        if not names:
            raise Invalid("the team has no members to broadcast to", field="team")
        return list(names)


def _may_read(access: ProjectAccess, me: str, parties: set[str]) -> bool:
    """Its sender and recipients read a message; members and owners (not pinned to an agent)
    also read any message an agent sent or received, never one between people only."""
    overseen = access.agent_name is None and access.role.rank >= Role.MEMBER.rank
    return me in parties or (overseen and any(map(is_agent_address, parties)))
