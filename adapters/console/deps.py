"""What every console handler needs, built once per console app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jinja2
import markupsafe
from aiohttp import web

from adapters.console.auth import VIEWER, Sessions, Viewer, viewer
from adapters.console.insights_panel import InsightsPanel
from adapters.console.replays import Replays
from adapters.console.sandbox import Sandbox
from adapters.console.settings import ConsoleSettings
from adapters.markdown_text import to_html
from adapters.storage.sql.console_queries import ConsoleQueries
from assistant.service import Assistant
from assistant.threads import ThreadStore
from assistant.weburl import web_url

PREFIX = "/console"
NAV = (
    ("sandbox", "Sandbox"),
    ("learning", "Learning"),
    ("spot-checks", "Spot checks"),
    ("conversations", "Conversations"),
    ("knowledge", "Knowledge"),
    ("charts", "Charts"),
    ("replay", "Replay"),
)


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("adapters.console", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda value: "–" if value is None or value != value else f"{value:.0%}"
    env.filters["when"] = lambda at: at.strftime("%Y-%m-%d %H:%M UTC") if at else ""
    env.filters["web_url"] = web_url  # the only links a page shows: http(s)
    # Answers are Markdown: rendered with raw HTML off and http(s) links only, so safe as markup.
    env.filters["markdown"] = lambda text: markupsafe.Markup(to_html(text or ""))
    return env


@dataclass(slots=True)
class ConsoleDeps:
    assistant: Assistant
    sandbox: Sandbox
    queries: ConsoleQueries
    sessions: Sessions
    settings: ConsoleSettings
    replays: Replays
    insights: InsightsPanel
    threads: ThreadStore
    env: jinja2.Environment = field(default_factory=templates)
    extras: dict[str, Any] = field(default_factory=dict)

    def render(self, request: web.Request, name: str, *, status: int = 200, **context: Any) -> web.Response:
        who: Viewer | None = request.get(VIEWER)
        page = self.env.get_template(name).render(
            prefix=PREFIX,
            nav=NAV,
            viewer=who,
            demo=self.sessions.open,
            note=request.query.get("note", ""),
            error=request.query.get("error", ""),
            **context,
        )
        return web.Response(text=page, content_type="text/html", status=status)


DEPS: web.AppKey[ConsoleDeps] = web.AppKey("console_deps", ConsoleDeps)


def deps_of(request: web.Request) -> ConsoleDeps:
    return request.app[DEPS]


def back(page: str, **query: str) -> web.HTTPSeeOther:
    """A redirect to a console page after a form (Post/Redirect/Get), with a note or an error."""
    suffix = f"?{urlencode(query)}" if query else ""
    return web.HTTPSeeOther(f"{PREFIX}/{page}{suffix}")


__all__ = ["DEPS", "PREFIX", "ConsoleDeps", "back", "deps_of", "viewer"]
