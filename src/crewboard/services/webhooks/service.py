"""WebhookService: a project's outgoing webhooks and their delivery log (docs/webhooks.md).

Only the project's owners (and instance admins) see or manage webhooks: a URL may embed a
token of the receiving service, and the delivery log tells about the receiver. Every change
records an event (``webhook.*``) naming the hook by id and host, never by URL or secret.
Delivery itself is the job's (services/webhooks/outbox.py, jobs/webhooks.py): a request that
changes something only writes its event.
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import Event, utcnow
from crewboard.models.webhooks import JobCursor, Webhook, WebhookDelivery
from crewboard.services.core import (
    Actor,
    Conflict,
    Invalid,
    NotFound,
    Page,
    check_limit,
    decode_cursor,
    page_of,
    record_event,
)
from crewboard.services.projects import ProjectAccess, ProjectService, Role
from crewboard.services.webhooks.rules import (
    PING_KIND,
    WEBHOOKS_PER_PROJECT,
    check_kinds,
    check_url,
    sender_host,
    url_host,
)
from crewboard.services.webhooks.targets import check_target

CURSOR_NAME = "webhooks"
STATUSES = ("pending", "delivered", "failed")


def new_secret() -> str:
    """A signing secret: 32 random bytes, URL-safe."""
    return "whsec_" + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """A delivery with the kind of its event, and what its last failure may say to this
    reader: an admin sees the status code and the error; anyone else only that it failed
    (an owner could otherwise map which ports answer, and how, from the log)."""

    delivery: WebhookDelivery
    kind: str
    status_code: int | None
    error: str | None


GENERIC_FAILURE = "delivery failed"


def _view(delivery: WebhookDelivery, kind: str, *, detail: bool) -> DeliveryView:
    if detail or delivery.status == "delivered":
        return DeliveryView(delivery, kind, delivery.last_status_code, delivery.last_error)
    failed = delivery.last_error is not None
    return DeliveryView(delivery, kind, None, GENERIC_FAILURE if failed else None)


class WebhookService:
    """Create, read, change, ping and delete webhooks; read their delivery log."""

    def __init__(self, session: AsyncSession, *, allow_private: bool = False) -> None:
        """``allow_private`` is ``CREWBOARD_WEBHOOK_ALLOW_PRIVATE`` (targets.py)."""
        self.session = session
        self.allow_private = allow_private
        self.projects = ProjectService(session)

    async def _access(self, actor: Actor, slug: str, *, write: bool = False) -> ProjectAccess:
        return await self.projects.access(actor, slug, need=Role.OWNER, write=write)

    async def _load(self, access: ProjectAccess, hook_id: int) -> Webhook:
        hook = await self.session.get(Webhook, hook_id)
        if hook is None or hook.project_id != access.project.id:
            raise NotFound(f"no webhook {hook_id} in project {access.project.slug}")
        return hook

    # -- reading --------------------------------------------------------------------------

    async def list(
        self, actor: Actor, slug: str, *, cursor: str | None = None, limit: int = 50
    ) -> Page[Webhook]:
        """The project's webhooks, oldest first."""
        access = await self._access(actor, slug)
        after = decode_cursor(cursor)
        query = (
            select(Webhook)
            .where(Webhook.project_id == access.project.id)
            .order_by(Webhook.id)
            .limit(check_limit(limit) + 1)
        )
        if after is not None:
            query = query.where(Webhook.id > after)
        return page_of((await self.session.scalars(query)).all(), limit, lambda h: h.id)

    async def get(self, actor: Actor, slug: str, hook_id: int) -> Webhook:
        """One webhook."""
        return await self._load(await self._access(actor, slug), hook_id)

    async def deliveries(
        self,
        actor: Actor,
        slug: str,
        hook_id: int,
        *,
        status: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[DeliveryView]:
        """The hook's delivery log, newest first, optionally of one status."""
        access = await self._access(actor, slug)
        hook = await self._load(access, hook_id)
        if status is not None and status not in STATUSES:
            raise Invalid("status is pending, delivered or failed", field="status")
        after = decode_cursor(cursor)
        query = (
            select(WebhookDelivery, Event.kind)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.webhook_id == hook.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(check_limit(limit) + 1)
        )
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        if after is not None:
            query = query.where(WebhookDelivery.id < after)
        rows = [
            _view(d, k, detail=actor.is_admin and not actor.is_agent)
            for d, k in (await self.session.execute(query)).all()
        ]
        return page_of(rows, limit, lambda v: v.delivery.id)

    # -- writing --------------------------------------------------------------------------

    async def create(
        self, actor: Actor, slug: str, *, url: str, kinds: Sequence[str] = (), active: bool = True
    ) -> Webhook:
        """A new webhook with a fresh secret (the caller shows it once)."""
        access = await self._access(actor, slug, write=True)
        url, wanted = check_url(url), check_kinds(list(kinds))
        self._check_target(url)
        count = await self.session.scalar(
            select(func.count()).where(Webhook.project_id == access.project.id)
        )
        if (count or 0) >= WEBHOOKS_PER_PROJECT:
            raise Conflict(
                f"a project has at most {WEBHOOKS_PER_PROJECT} webhooks", code="too-many-webhooks"
            )
        await self._start_cursor()
        hook = Webhook(
            project_id=access.project.id,
            url=url,
            kinds=wanted,
            secret=new_secret(),
            active=active,
            created_by=actor.label,
        )
        self.session.add(hook)
        await self.session.flush()
        self._record(
            actor,
            access,
            hook,
            "webhook.created",
            {"host": url_host(url), "kinds": wanted, "active": active},
        )
        return hook

    async def update(
        self,
        actor: Actor,
        slug: str,
        hook_id: int,
        *,
        url: str | None = None,
        kinds: Sequence[str] | None = None,
        active: bool | None = None,
        rotate_secret: bool = False,
    ) -> Webhook:
        """Change the URL, kinds or active flag; ``rotate_secret`` draws a new secret."""
        access = await self._access(actor, slug, write=True)
        hook = await self._load(access, hook_id)
        changes: dict[str, builtins.list[object]] = {}
        if url is not None and check_url(url) != hook.url:
            self._check_target(url)
            changes["host"] = [url_host(hook.url), url_host(url)]
            hook.url = url
        if kinds is not None:
            wanted = check_kinds(list(kinds))
            if wanted != hook.kinds:
                changes["kinds"] = [hook.kinds, wanted]
                hook.kinds = wanted
        if active is not None and active != hook.active:
            changes["active"] = [hook.active, active]
            hook.active = active
        if rotate_secret:
            hook.secret = new_secret()
        if changes or rotate_secret:
            hook.updated_at = utcnow()
            await self.session.flush()
            self._record(
                actor,
                access,
                hook,
                "webhook.updated",
                {"changes": changes, "secret_rotated": rotate_secret},
            )
        return hook

    def _check_target(self, url: str) -> None:
        """The target rule on the host as written and as the sender will read it (which
        also refuses a URL the sender could not parse)."""
        check_target(url_host(url), allow_private=self.allow_private)
        check_target(sender_host(url), allow_private=self.allow_private)

    async def delete(self, actor: Actor, slug: str, hook_id: int) -> Webhook:
        """Delete a webhook, its secret and its delivery log."""
        access = await self._access(actor, slug, write=True)
        hook = await self._load(access, hook_id)
        await self.session.delete(hook)
        await self.session.flush()
        self._record(actor, access, hook, "webhook.deleted", {"host": url_host(hook.url)})
        return hook

    async def ping(self, actor: Actor, slug: str, hook_id: int) -> Webhook:
        """Queue a ``webhook.ping`` event for this hook alone (delivered like any event)."""
        access = await self._access(actor, slug, write=True)
        hook = await self._load(access, hook_id)
        if not hook.active:
            raise Conflict(
                f"webhook {hook_id} is paused; activate it first", code="webhook-inactive"
            )
        await self._start_cursor()
        self._record(actor, access, hook, PING_KIND, {"webhook": hook.id})
        return hook

    # -- helpers --------------------------------------------------------------------------

    async def _start_cursor(self) -> None:
        """The job reads events from here on; a no-op once any hook has ever existed.

        Starting at the newest id (not 0) keeps a first hook from walking the whole history.
        """
        newest = select(func.coalesce(func.max(Event.id), 0)).scalar_subquery()
        values = {"name": CURSOR_NAME, "event_id": newest}
        pg = self.session.get_bind().dialect.name == "postgresql"
        stmt = postgresql.insert(JobCursor) if pg else sqlite.insert(JobCursor)
        await self.session.execute(stmt.values(values).on_conflict_do_nothing())

    def _record(
        self,
        actor: Actor,
        access: ProjectAccess,
        hook: Webhook,
        kind: str,
        data: dict[str, object],
    ) -> None:
        record_event(
            self.session,
            actor,
            kind,
            f"webhook:{hook.id}",
            {"webhook": hook.id, **data},
            project_id=access.project.id,
        )
