"""The sandbox page: a shared channel (the customer's side) beside the internal channel (the
agents' side), and the forms that drive ``adapters.console.sandbox.Sandbox``.

A viewer scoped to one account acts privately for that account only: what they teach, correct or
send is private to it whatever the form says (a global scope needs a token for every account).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from adapters.console.auth import Viewer, viewer
from adapters.console.deps import PREFIX, deps_of
from adapters.console.sandbox import Exchange, Sandbox
from assistant.errors import AssistantError, PermissionDeniedError

DEFAULT_ACCOUNTS = ("acme", "globex")
MAX_FIELD_CHARS = 8000

Form = MultiDictProxy[Any]
Action = Callable[[Sandbox, str, str, Form, Viewer], Awaitable[str]]


def register(app: web.Application) -> None:
    app.router.add_get("/sandbox", page)
    app.router.add_post("/sandbox/ask", ask)
    app.router.add_post("/sandbox/teach", teach)
    app.router.add_post("/sandbox/{answer_id}/{action}", act)


def _field(form: Form, name: str) -> str:
    value = form.get(name)
    return value.strip()[:MAX_FIELD_CHARS] if isinstance(value, str) else ""


def _back(account: str, anchor: str = "", **query: str) -> web.HTTPSeeOther:
    params = urlencode({"account": account, **query})
    return web.HTTPSeeOther(f"{PREFIX}/sandbox?{params}" + (f"#{anchor}" if anchor else ""))


async def _accounts(request: web.Request, who: Viewer) -> list[str]:
    if who.scope is not None:
        return [who.scope]
    known = await deps_of(request).queries.accounts()
    return known or list(DEFAULT_ACCOUNTS)


async def page(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    accounts = await _accounts(request, who)
    account = request.query.get("account", "")
    if account not in accounts:
        account = accounts[0]
    exchanges = deps.sandbox.exchanges(who.scope)
    return deps.render(
        request,
        "sandbox.html",
        accounts=accounts,
        account=account,
        channel=[e for e in exchanges if e.account == account],
        internal=list(reversed(exchanges)),
        agent=deps.settings.agent_name,
        target=deps.assistant.settings.target_precision,
    )


async def ask(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    form = await request.post()
    account, text = _field(form, "account"), _field(form, "text")
    user = _field(form, "user") or f"{account}-customer"
    if not who.owns(account):
        raise _back(account, error="You can only ask as your own account.")
    try:
        exchange = await deps.sandbox.ask(account=account, user=user, text=text)
    except AssistantError as exc:
        raise _back(account, error=exc.message) from None
    raise _back(account, exchange.answer.id)


async def teach(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    form = await request.post()
    account = _field(form, "account")
    private = _field(form, "private") == "on" or who.scope is not None  # scoped: private, always
    if not who.owns(account or None):
        raise _back(account, error="You can only teach your own account.")
    try:
        event = await deps.sandbox.teach(
            agent=deps.settings.agent_name,
            question=_field(form, "question"),
            answer=_field(form, "answer"),
            account=account,
            private=private,
        )
    except AssistantError as exc:
        raise _back(account, error=exc.message) from None
    raise _back(account, note=event.effect)


# what each agent or customer button does; returns the note shown after it


async def _approve(sandbox: Sandbox, answer_id: str, agent: str, _form: Form, _who: Viewer) -> str:
    return (await sandbox.approve(answer_id, agent=agent)).effect


async def _reject(sandbox: Sandbox, answer_id: str, agent: str, _form: Form, _who: Viewer) -> str:
    return (await sandbox.reject(answer_id, agent=agent)).effect


def _share(form: Form, who: Viewer) -> bool | None:
    """The scope the form asks for; a viewer scoped to one account never shares with everyone."""
    if who.scope is not None:
        return False
    return {"everyone": True, "account": False}.get(_field(form, "scope"))


async def _reply(sandbox: Sandbox, answer_id: str, agent: str, form: Form, who: Viewer) -> str:
    event = await sandbox.reply(answer_id, agent=agent, text=_field(form, "text"), share=_share(form, who))
    return event.effect if event is not None else "Someone already answered this one."


async def _send_draft(sandbox: Sandbox, answer_id: str, agent: str, form: Form, who: Viewer) -> str:
    event = await sandbox.reply(answer_id, agent=agent, text=None, share=_share(form, who))
    return event.effect if event is not None else "Someone already answered this one."


async def _take(sandbox: Sandbox, answer_id: str, agent: str, _form: Form, _who: Viewer) -> str:
    taken = await sandbox.take(answer_id, agent=agent)
    return f"{agent} took the hand-off." if taken else "Someone already took this hand-off."


async def _helped(sandbox: Sandbox, answer_id: str, _agent: str, _form: Form, _who: Viewer) -> str:
    await sandbox.verdict(answer_id, helped=True)
    return "The customer said this solved it."


async def _not_helped(sandbox: Sandbox, answer_id: str, _agent: str, _form: Form, _who: Viewer) -> str:
    await sandbox.verdict(answer_id, helped=False)
    return "The customer still needs help: handed off to the agents."


ACTIONS: dict[str, Action] = {
    "approve": _approve,
    "reject": _reject,
    "correct": _reply,
    "send": _send_draft,
    "take": _take,
    "helped": _helped,
    "not-helped": _not_helped,
}


async def act(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        raise web.HTTPNotFound()
    answer_id = request.match_info["answer_id"]
    form = await request.post()
    exchange: Exchange | None = None
    try:
        exchange = deps.sandbox.get(answer_id)
        if not who.owns(exchange.account):
            raise PermissionDeniedError("That conversation belongs to another account.")
        note = await action(deps.sandbox, answer_id, deps.settings.agent_name, form, who)
    except AssistantError as exc:
        account = exchange.account if exchange is not None and who.owns(exchange.account) else ""
        raise _back(account, error=exc.message) from None
    raise _back(exchange.account, answer_id, note=note)
