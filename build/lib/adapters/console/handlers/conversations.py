"""Customer threads as conversations: the list (by account and state) and one with its messages.

A viewer scoped to one account sees that account's conversations only; another account's
conversation is "not found", never shown.
"""

from __future__ import annotations

from aiohttp import web

from adapters.console.auth import viewer
from adapters.console.deps import deps_of
from assistant.service_levels import CSAT_SCALE
from assistant.threads import ThreadState

MAX_FILTER_CHARS = 200
LIST_LIMIT = 200
STATES = tuple(state.value for state in ThreadState)


def register(app: web.Application) -> None:
    app.router.add_get("/conversations", conversations_page)
    app.router.add_get("/conversations/{conversation_id}", conversation_page)


async def conversations_page(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    account = request.query.get("account", "").strip()[:MAX_FILTER_CHARS] or None
    state = request.query.get("state", "").strip()
    if state not in STATES:
        state = ""
    if who.scope is not None:
        account = who.scope
    found = await deps.threads.list_conversations(
        account=account, state=ThreadState(state) if state else None, limit=LIST_LIMIT
    )
    return deps.render(
        request,
        "conversations.html",
        conversations=found,
        account=account or "",
        state=state,
        states=STATES,
        scoped=who.scope is not None,
        csat_labels=CSAT_SCALE,
    )


async def conversation_page(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    conversation = await deps.threads.conversation_by_id(request.match_info["conversation_id"][:64])
    if conversation is None or not who.owns(conversation.account):
        raise web.HTTPNotFound(text="No conversation has that id.")
    messages = await deps.threads.thread_messages(conversation.id)
    return deps.render(
        request, "conversation.html", conversation=conversation, messages=messages, csat_labels=CSAT_SCALE
    )
