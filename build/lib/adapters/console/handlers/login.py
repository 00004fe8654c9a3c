"""Sign-in with a configured token, sign-out, and the console's home."""

from __future__ import annotations

from aiohttp import web

from adapters.console.auth import COOKIE, client_of, refuse_if_throttled
from adapters.console.deps import PREFIX, deps_of

SESSION_SECONDS = 12 * 3600


def register(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)


async def home(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(f"{PREFIX}/sandbox")


async def login_page(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    if deps.sessions.open:
        raise web.HTTPSeeOther(f"{PREFIX}/sandbox")
    return deps.render(request, "login.html", refused=False, configured=deps.sessions.configured)


async def login(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    refuse_if_throttled(deps.sessions, request)  # before the token is even compared
    form = await request.post()
    token = str(form.get("token", "")).strip()
    found = deps.sessions.attempt(client_of(request), token)
    if found is None:
        return deps.render(
            request, "login.html", status=401, refused=True, configured=deps.sessions.configured
        )
    response = web.HTTPSeeOther(f"{PREFIX}/sandbox")
    response.set_cookie(
        COOKIE,
        deps.sessions.start(found),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path=PREFIX,
    )
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    deps.sessions.end(request.cookies.get(COOKIE))
    response = web.HTTPSeeOther(f"{PREFIX}/login")
    response.del_cookie(COOKIE, path=PREFIX)
    raise response
