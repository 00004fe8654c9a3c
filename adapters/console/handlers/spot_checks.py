"""Spot checks: the silent answers drawn for an agent to judge, with Right and Wrong.

The verdicts say what silence means to the confidence model (``assistant.learning.spot_checks``),
so the page asks about every drawn answer alike and offers no way to skip to the interesting ones.
A wrong answer may be corrected on the spot; without a correction it is only rejected.
"""

from __future__ import annotations

from aiohttp import web

from adapters.console.auth import viewer
from adapters.console.deps import back, deps_of
from assistant.errors import AssistantError
from assistant.models import Role, Signal

#: How many waiting spot checks the page shows (the newest).
SHOWN = 50
_VERDICTS = {"right", "wrong"}


def register(app: web.Application) -> None:
    app.router.add_get("/spot-checks", spot_checks_page)
    app.router.add_post("/spot-checks/{answer_id}", judge)


async def spot_checks_page(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    checks = [c for c in await deps.assistant.spot_checks(limit=SHOWN) if who.owns(c.answer.account)]
    return deps.render(request, "spot_checks.html", checks=checks)


async def judge(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    answer_id = request.match_info["answer_id"]
    form = await request.post()
    verdict = str(form.get("verdict", ""))
    correction = str(form.get("text", "")).strip()
    if verdict not in _VERDICTS:
        raise back("spot-checks", error="Say whether the answer was right or wrong.")
    waiting = await deps.assistant.spot_checks(limit=1, answer_id=answer_id)
    if not waiting:
        raise back("spot-checks", error="That answer is not waiting for a spot check (judged already?).")
    answer = waiting[0].answer
    if not who.owns(answer.account):
        raise back("spot-checks", error="That answer belongs to another account.")
    signal = Signal.APPROVE if verdict == "right" else Signal.CORRECT if correction else Signal.REJECT
    try:
        await deps.assistant.feedback(
            answer_id,
            signal,
            actor=deps.settings.agent_name,
            role=Role.AGENT,
            text=correction if signal is Signal.CORRECT else None,
        )
    except AssistantError as exc:
        raise back("spot-checks", error=exc.message) from None
    raise back("spot-checks", note=f"Thanks: recorded as {verdict}.")
