"""The replay page: pick a replay set (or upload one), run both arms, watch progress, see the curves.

Only viewers who see every account may run replays (they take a CPU for minutes). An upload is
streamed to a temporary folder, size-capped, and deleted when its replay ends.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from aiohttp import BodyPartReader, web

from adapters.console import charts
from adapters.console.auth import viewer
from adapters.console.deps import PREFIX, back, deps_of
from adapters.console.replays import DEFAULT_LIMIT, ReplayJob
from assistant.errors import AssistantError, InvalidInputError

UPLOAD_FILES = ("kb.jsonl", "stream.jsonl", "test.jsonl")
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
CHUNK = 64 * 1024


def register(app: web.Application) -> None:
    app.router.add_get("/replay", page)
    app.router.add_post("/replay", start)
    app.router.add_get("/replay/{job_id}", job_page)
    app.router.add_get("/replay/{job_id}/progress", progress)
    app.router.add_get("/replay/{job_id}/chart.svg", chart)


def _everyone(request: web.Request) -> None:
    if viewer(request).scope is not None:
        raise web.HTTPForbidden(text="Replays are for viewers who see every account.")


def _job(request: web.Request) -> ReplayJob:
    _everyone(request)
    job = deps_of(request).replays.get(request.match_info["job_id"])
    if job is None:
        raise web.HTTPNotFound(text="No such replay.")
    return job


async def page(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    allowed = viewer(request).scope is None
    return deps.render(
        request,
        "replay.html",
        allowed=allowed,
        sets=deps.replays.available() if allowed else [],
        root=deps.replays.root,
        jobs=deps.replays.jobs() if allowed else [],
        busy=deps.replays.busy,
        default_limit=DEFAULT_LIMIT,
    )


async def start(request: web.Request) -> web.StreamResponse:
    _everyone(request)
    deps = deps_of(request)
    fields: dict[str, str] = {}
    scratch = Path(tempfile.mkdtemp(prefix="console-upload-"))
    uploaded = False
    try:
        if request.content_type.startswith("multipart/"):
            uploaded = await _read_parts(request, scratch, fields)
        else:
            fields.update({k: str(v)[:200] for k, v in (await request.post()).items()})
        limit = _limit(fields.get("limit", ""))
        if uploaded:
            job = deps.replays.start(scratch, dataset="upload", limit=limit, owned=True)
        else:
            name = fields.get("set", "")
            job = deps.replays.start(deps.replays.resolve(name), dataset=name, limit=limit)
            _remove(scratch)
    except AssistantError as exc:
        _remove(scratch)
        raise back("replay", error=exc.message) from None
    raise web.HTTPSeeOther(f"{PREFIX}/replay/{job.id}")


async def _read_parts(request: web.Request, scratch: Path, fields: dict[str, str]) -> bool:
    """Stream the form's files into ``scratch`` and its fields into ``fields``; True if files came."""
    reader = await request.multipart()
    total, uploaded = 0, False
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        if part.filename:
            if part.name not in UPLOAD_FILES:
                raise InvalidInputError("Upload kb.jsonl, stream.jsonl and optionally test.jsonl.")
            total = await _save(part, scratch / part.name, total)
            uploaded = uploaded or (scratch / part.name).stat().st_size > 0
        else:
            fields[part.name] = (await part.text())[:200]
    return uploaded


async def _save(part: BodyPartReader, path: Path, total: int) -> int:
    with path.open("wb") as out:
        while chunk := await part.read_chunk(CHUNK):
            total += len(chunk)
            if total > MAX_UPLOAD_BYTES:
                raise InvalidInputError(f"The upload is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
            out.write(chunk)
    return total


def _remove(folder: Path) -> None:
    for child in folder.glob("*"):
        child.unlink(missing_ok=True)
    folder.rmdir()


def _limit(value: str) -> int:
    if not value.strip():
        return DEFAULT_LIMIT
    try:
        return int(value)
    except ValueError:
        raise InvalidInputError("The number of questions must be a whole number.") from None


async def job_page(request: web.Request) -> web.StreamResponse:
    job = _job(request)
    return deps_of(request).render(request, "replay_job.html", job=job)


async def progress(request: web.Request) -> web.StreamResponse:
    return web.json_response(_job(request).progress())


async def chart(request: web.Request) -> web.StreamResponse:
    job = _job(request)
    if job.status != "done" or not job.reports:
        raise web.HTTPConflict(text="The replay has not finished.")
    svg = await asyncio.to_thread(charts.replay_arms, job.reports)
    return web.Response(text=svg, content_type="image/svg+xml")
