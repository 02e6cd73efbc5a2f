"""InboxService: an address's messages, read after a cursor, marked read and acknowledged.

Everyone in a project reads their own inbox (an agent its agent's, a person their
``@e-mail`` one); members and owners may also read any agent's inbox, without marking it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from crewboard.models import utcnow
from crewboard.models.messages import Delivery, Message
from crewboard.services.core import (
    MAX_CURSOR_ID,
    MAX_LIMIT,
    Actor,
    Forbidden,
    Invalid,
    NotFound,
    Page,
    check_limit,
    decode_cursor,
    page_of,
    record_event,
)
from crewboard.services.messages.store import address_of
from crewboard.services.projects import (
    ProjectAccess,
    ProjectService,
    Role,
    require_on_roster,
    team_names,
)


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A message as one recipient has it: with its read and acknowledged times."""

    message: Message
    delivery: Delivery
    team: str | None


@dataclass(frozen=True, slots=True)
class InboxFeed:
    """Where a live stream of one inbox starts."""

    address: str
    project_id: int
    newest_id: int


class InboxService:
    """The inboxes of one project."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.projects = ProjectService(session)

    async def list(
        self,
        actor: Actor,
        slug: str,
        *,
        agent: str | None = None,
        unread: bool = True,
        after: int | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[InboxItem]:
        """Messages of an inbox in id order: unread ones (or all), after a message id."""
        access = await self.projects.access(actor, slug)
        owner = await self._whose(actor, access, agent)
        start = max(after or 0, decode_cursor(cursor) or 0)
        if not 0 <= start <= MAX_CURSOR_ID:
            raise Invalid("after is not a message id", field="after")
        query = (
            select(Message, Delivery)
            .join(Delivery, Delivery.message_id == Message.id)
            .where(
                Delivery.project_id == access.project.id,
                Delivery.recipient == owner,
                Delivery.message_id > start,
            )
            .order_by(Delivery.message_id)
            .limit(check_limit(limit) + 1)
        )
        if unread:
            query = query.where(Delivery.read_at.is_(None))
        rows = (await self.session.execute(query)).all()
        page = page_of([(m, d) for m, d in rows], limit, lambda row: row[0].id)
        names = await team_names(self.session, (m.team_id for m, _ in page.items if m.team_id))
        items = [InboxItem(m, d, names.get(m.team_id or 0)) for m, d in page.items]
        return Page(items, page.next_cursor)

    async def mark_read(
        self, actor: Actor, slug: str, *, ids: Sequence[int] = (), up_to: int | None = None
    ) -> int:
        """Mark messages of the actor's own inbox read: the ones named, or every one up to
        and including ``up_to``. Already read ones stay as they were. Returns how many
        were newly marked; naming a message not in the inbox is 404."""
        access = await self.projects.access(actor, slug, write=True)
        me = await address_of(self.session, actor, access.agent_name)
        if bool(ids) == (up_to is not None):
            raise Invalid("give either ids or up_to", field="ids")
        if len(ids) > MAX_LIMIT:
            raise Invalid(f"at most {MAX_LIMIT} ids per call", field="ids")
        mine = (Delivery.project_id == access.project.id) & (Delivery.recipient == me)
        if ids:
            wanted = set(ids)
            found = set(
                (
                    await self.session.scalars(
                        select(Delivery.message_id).where(mine, Delivery.message_id.in_(wanted))
                    )
                ).all()
            )
            if found != wanted:
                raise NotFound(
                    "not in your inbox: " + ", ".join(map(str, sorted(wanted - found))), field="ids"
                )
            which: ColumnElement[bool] = Delivery.message_id.in_(wanted)
        else:
            which = Delivery.message_id <= (up_to or 0)
        marked = (
            await self.session.scalars(
                update(Delivery)
                .where(mine, which, Delivery.read_at.is_(None))
                .values(read_at=utcnow())
                .returning(Delivery.message_id)
                .execution_options(synchronize_session=False)
            )
        ).all()
        if marked:
            record_event(
                self.session,
                actor,
                "message.read",
                f"inbox:{me}",
                {"count": len(marked), "first": min(marked), "last": max(marked)},
                project_id=access.project.id,
            )
        return len(marked)

    async def acknowledge(self, actor: Actor, slug: str, message_id: int) -> InboxItem:
        """Acknowledge a message of the actor's own inbox (it is read too); idempotent."""
        access = await self.projects.access(actor, slug, write=True)
        me = await address_of(self.session, actor, access.agent_name)
        row = (
            await self.session.execute(
                select(Message, Delivery)
                .join(Delivery, Delivery.message_id == Message.id)
                .where(
                    Delivery.project_id == access.project.id,
                    Delivery.recipient == me,
                    Delivery.message_id == message_id,
                )
            )
        ).first()
        if row is None:
            raise NotFound(f"message {message_id} is not in your inbox")
        message, delivery = row
        if delivery.acked_at is None:
            now = utcnow()
            delivery.acked_at = now
            delivery.read_at = delivery.read_at or now
            await self.session.flush()
            record_event(
                self.session,
                actor,
                "message.acked",
                f"message:{message.id}",
                {"recipient": me},
                project_id=access.project.id,
            )
        names = await team_names(self.session, [message.team_id] if message.team_id else [])
        return InboxItem(message, delivery, names.get(message.team_id or 0))

    async def address(self, actor: Actor, slug: str) -> str:
        """The actor's own inbox address in a project (checks access)."""
        access = await self.projects.access(actor, slug)
        return await address_of(self.session, actor, access.agent_name)

    async def feed(self, actor: Actor, slug: str) -> InboxFeed:
        """What a live stream of the actor's own inbox needs: its address, the project, and
        the newest message already delivered (where a stream that starts "now" begins)."""
        access = await self.projects.access(actor, slug)
        me = await address_of(self.session, actor, access.agent_name)
        newest = await self.session.scalar(
            select(func.max(Delivery.message_id)).where(
                Delivery.project_id == access.project.id, Delivery.recipient == me
            )
        )
        return InboxFeed(me, access.project.id, int(newest or 0))

    async def _whose(self, actor: Actor, access: ProjectAccess, agent: str | None) -> str:
        me = await address_of(self.session, actor, access.agent_name)
        if agent is None or agent == me:
            return me
        if access.agent_name is not None or access.role.rank < Role.MEMBER.rank:
            raise Forbidden("only members and owners read another agent's inbox")
        return await require_on_roster(self.session, access.project, agent, "agent")
