"""Outgoing webhooks of a project (owners and admins): CRUD, a ping, the delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from crewboard.edge.deps import ActorDep, SessionDep, SettingsDep
from crewboard.models.webhooks import Webhook
from crewboard.schemas.common import Cursor, Limit, Page, Slug
from crewboard.schemas.webhooks import (
    DeliveryRead,
    DeliveryStatus,
    PingQueued,
    WebhookCreate,
    WebhookDeleted,
    WebhookRead,
    WebhookUpdate,
)
from crewboard.services.webhooks import PING_KIND, DeliveryView, WebhookService

router = APIRouter(prefix="/projects/{slug}/webhooks", tags=["webhooks"])
SlugPath = Annotated[Slug, Path()]
HookPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def webhook_read(hook: Webhook, *, secret: str | None = None) -> WebhookRead:
    """A webhook as the API shows it (the secret only when given)."""
    return WebhookRead(
        id=hook.id,
        url=hook.url,
        kinds=hook.kinds,
        active=hook.active,
        created_by=hook.created_by,
        created_at=hook.created_at,
        updated_at=hook.updated_at,
        secret=secret,
    )


def delivery_read(view: DeliveryView) -> DeliveryRead:
    """A delivery log entry (no retry time once it is final)."""
    d = view.delivery
    return DeliveryRead(
        id=d.id,
        event_id=d.event_id,
        kind=view.kind,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        last_status_code=view.status_code,
        last_error=view.error,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
    )


@router.get("")
async def list_webhooks(
    slug: SlugPath,
    actor: ActorDep,
    session: SessionDep,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[WebhookRead]:
    """The project's webhooks, oldest first (never their secrets)."""
    page = await WebhookService(session).list(actor, slug, cursor=cursor, limit=limit)
    return Page[WebhookRead](
        items=[webhook_read(h) for h in page.items], next_cursor=page.next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_webhook(
    slug: SlugPath,
    body: WebhookCreate,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> WebhookRead:
    """A new webhook; the answer holds its signing secret, shown this once. Loopback and
    private targets are refused unless ``CREWBOARD_WEBHOOK_ALLOW_PRIVATE`` is on."""
    hooks = WebhookService(session, allow_private=settings.webhook_allow_private)
    hook = await hooks.create(actor, slug, url=body.url, kinds=body.kinds, active=body.active)
    return webhook_read(hook, secret=hook.secret)


@router.get("/{hook_id}")
async def get_webhook(
    slug: SlugPath, hook_id: HookPath, actor: ActorDep, session: SessionDep
) -> WebhookRead:
    """One webhook (without its secret)."""
    return webhook_read(await WebhookService(session).get(actor, slug, hook_id))


@router.patch("/{hook_id}")
async def update_webhook(
    slug: SlugPath,
    hook_id: HookPath,
    body: WebhookUpdate,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> WebhookRead:
    """Change the URL, kinds or active flag; with ``rotate_secret`` the answer holds the new
    secret, shown this once."""
    hooks = WebhookService(session, allow_private=settings.webhook_allow_private)
    hook = await hooks.update(
        actor,
        slug,
        hook_id,
        url=body.url,
        kinds=body.kinds,
        active=body.active,
        rotate_secret=body.rotate_secret,
    )
    return webhook_read(hook, secret=hook.secret if body.rotate_secret else None)


@router.delete("/{hook_id}")
async def delete_webhook(
    slug: SlugPath, hook_id: HookPath, actor: ActorDep, session: SessionDep
) -> WebhookDeleted:
    """Delete the webhook, its secret and its delivery log."""
    hook = await WebhookService(session).delete(actor, slug, hook_id)
    return WebhookDeleted(id=hook.id)


@router.post("/{hook_id}/ping", status_code=status.HTTP_202_ACCEPTED)
async def ping_webhook(
    slug: SlugPath, hook_id: HookPath, actor: ActorDep, session: SessionDep
) -> PingQueued:
    """Queue a ``webhook.ping`` event for this webhook alone; 409 while it is paused."""
    hook = await WebhookService(session).ping(actor, slug, hook_id)
    return PingQueued(id=hook.id, kind=PING_KIND)


@router.get("/{hook_id}/deliveries")
async def list_deliveries(
    slug: SlugPath,
    hook_id: HookPath,
    actor: ActorDep,
    session: SessionDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[DeliveryRead]:
    """The webhook's delivery log, newest first, optionally of one status."""
    page = await WebhookService(session).deliveries(
        actor, slug, hook_id, status=status, cursor=cursor, limit=limit
    )
    return Page[DeliveryRead](
        items=[delivery_read(v) for v in page.items], next_cursor=page.next_cursor
    )
