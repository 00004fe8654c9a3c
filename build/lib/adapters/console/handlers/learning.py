"""What was learned (with Undo) and the knowledge items with their feedback record; both searchable."""

from __future__ import annotations

from aiohttp import web

from adapters.console.auth import viewer
from adapters.console.deps import back, deps_of
from assistant.errors import AssistantError
from assistant.models import Role, Signal

MAX_SEARCH_CHARS = 200
UNDOABLE = frozenset(Signal) - {Signal.FORGET}


def register(app: web.Application) -> None:
    app.router.add_get("/learning", learning_page)
    app.router.add_post("/learning/{event_id}/undo", undo)
    app.router.add_get("/knowledge", knowledge_page)


def _search(request: web.Request) -> str:
    return request.query.get("q", "").strip()[:MAX_SEARCH_CHARS]


async def learning_page(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    search = _search(request)
    entries = await deps.queries.learned(scope=who.scope, search=search, limit=200)
    return deps.render(
        request,
        "learning.html",
        entries=entries,
        search=search,
        undoable=lambda event: (
            event.undone_at is None and event.signal in UNDOABLE and who.owns(event.account)
        ),
    )


async def undo(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    event_id = request.match_info["event_id"]
    accounts = await deps.queries.event_accounts([event_id])
    if event_id not in accounts:
        raise back("learning", error="No learning event has that id.")
    if not who.owns(accounts[event_id]):
        raise back("learning", error="That learning event belongs to another account.")
    try:
        await deps.assistant.forget(event_id, actor=deps.settings.agent_name, role=Role.AGENT)
    except AssistantError as exc:
        raise back("learning", error=exc.message) from None
    raise back("learning", note="Undone: the assistant no longer uses what that event taught.")


async def knowledge_page(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    search = _search(request)
    everything = request.query.get("all") == "1"
    items = await deps.queries.items(scope=who.scope, search=search, learned_only=not everything, limit=200)
    return deps.render(request, "knowledge.html", items=items, search=search, everything=everything)
