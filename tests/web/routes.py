"""Every route of the dashboard, with a concrete path for the tests (``shop`` project, task 1,
message 1, team ``web``). ``tests/api/test_authz_matrix.py`` takes these as covered: they are
tested for the anonymous, the outsider, the viewer and the owner in ``test_isolation``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.routing import Mount

from crewboard.web.routing import WebRoute

# (method, route as the app declares it, concrete path or None when it needs no project)
WEB_ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/", "/"),
    ("GET", "/go", "/go?project=shop"),
    ("GET", "/p/{slug}", "/p/shop"),
    ("GET", "/p/{slug}/tasks/{number}", "/p/shop/tasks/1"),
    ("GET", "/p/{slug}/teams", "/p/shop/teams"),
    ("GET", "/p/{slug}/teams/{name}", "/p/shop/teams/web"),
    ("GET", "/p/{slug}/roster", "/p/shop/roster"),
    ("GET", "/p/{slug}/inbox", "/p/shop/inbox"),
    ("GET", "/p/{slug}/messages/{message_id}", "/p/shop/messages/1"),
    ("GET", "/p/{slug}/conversations", "/p/shop/conversations"),
    ("GET", "/p/{slug}/changelog", "/p/shop/changelog"),
    ("GET", "/p/{slug}/activity", "/p/shop/activity"),
    ("GET", "/p/{slug}/graph", "/p/shop/graph"),
    ("GET", "/p/{slug}/charts", "/p/shop/charts"),
    ("POST", "/p/{slug}/tasks", "/p/shop/tasks"),
    ("POST", "/p/{slug}/tasks/{number}/claim", "/p/shop/tasks/1/claim"),
    ("POST", "/p/{slug}/tasks/{number}/assign", "/p/shop/tasks/1/assign"),
    ("POST", "/p/{slug}/tasks/{number}/block", "/p/shop/tasks/1/block"),
    ("POST", "/p/{slug}/tasks/{number}/unblock", "/p/shop/tasks/1/unblock"),
    ("POST", "/p/{slug}/tasks/{number}/complete", "/p/shop/tasks/1/complete"),
    ("POST", "/p/{slug}/tasks/{number}/release", "/p/shop/tasks/1/release"),
    ("POST", "/p/{slug}/tasks/{number}/status", "/p/shop/tasks/1/status"),
    ("POST", "/p/{slug}/messages", "/p/shop/messages"),
    ("POST", "/p/{slug}/inbox/read", "/p/shop/inbox/read"),
    ("POST", "/logout", "/logout"),
    ("GET", "/p/{slug}/settings", "/p/shop/settings"),
    ("POST", "/projects", "/projects"),
    ("POST", "/p/{slug}/settings/members", "/p/shop/settings/members"),
    ("POST", "/p/{slug}/settings/members/{user_id}/remove", "/p/shop/settings/members/1/remove"),
    ("POST", "/p/{slug}/settings/agents", "/p/shop/settings/agents"),
    ("POST", "/p/{slug}/settings/agents/{name}/remove", "/p/shop/settings/agents/qa/remove"),
    ("POST", "/p/{slug}/settings/tokens", "/p/shop/settings/tokens"),
    ("POST", "/p/{slug}/settings/tokens/{token_id}/revoke", "/p/shop/settings/tokens/1/revoke"),
    ("GET", "/account", "/account"),
    ("POST", "/account/credentials/{credential_id}/revoke", "/account/credentials/1/revoke"),
    ("POST", "/account/invitations/{invitation_id}/accept", "/account/invitations/1/accept"),
    ("POST", "/account/invitations/{invitation_id}/decline", "/account/invitations/1/decline"),
    (
        "POST",
        "/p/{slug}/settings/invitations/{invitation_id}/withdraw",
        "/p/shop/settings/invitations/1/withdraw",
    ),
]
# Public by design: the login form and its post (guarded by its own double-submit token),
# and the static CSS/JS.
WEB_PUBLIC: set[tuple[str, str]] = {("GET", "/login"), ("POST", "/login"), ("*", "/static")}
# Form fields each post needs to get past validation to the service.
FIELDS: dict[str, dict[str, str]] = {
    "/p/shop/tasks": {"title": "Intruder"},
    "/p/shop/tasks/1/assign": {"owner": "backend"},
    "/p/shop/tasks/1/block": {"reason": "intruder"},
    "/p/shop/tasks/1/complete": {"outcome": "intruder"},
    "/p/shop/tasks/1/status": {"to": "blocked", "reason": "intruder"},
    "/p/shop/messages": {"to": "backend", "body": "intruder"},
    "/p/shop/inbox/read": {"up_to": "1"},
    "/projects": {"slug": "intruder"},
    "/p/shop/settings/members": {"email": "bob@example.com", "role": "member"},
    "/p/shop/settings/agents": {"name": "intruder"},
    "/p/shop/settings/tokens": {"agent": "backend"},
}


def served_routes(app: FastAPI) -> list[Any]:
    """Every route the app serves, included routers opened (they hide their routes from
    ``app.routes``); the dashboard's are left out of the OpenAPI document."""
    found: list[Any] = []
    pending: list[Any] = list(app.routes)
    while pending:
        route = pending.pop()
        inner = getattr(route, "original_router", None)
        if inner is not None:
            pending.extend(inner.routes)
        else:
            found.append(route)
    return found


def web_routes_of(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of the dashboard's routes as the app serves them."""
    found: set[tuple[str, str]] = set()
    for route in served_routes(app):
        if isinstance(route, WebRoute):
            found |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
        elif isinstance(route, Mount) and route.path == "/static":
            found.add(("*", route.path))
    return found
