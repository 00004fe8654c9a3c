"""The fake Slack's file uploads: the three steps slack_sdk's ``files_upload_v2`` takes.

1. ``files.getUploadURLExternal`` (``filename``, ``length``) answers ``upload_url`` (on the fake
   itself, ``/upload/<file id>``) and ``file_id``;
2. the bytes are POSTed to that URL (no token, as Slack's upload host takes them);
3. ``files.completeUploadExternal`` (``files`` as a JSON list of ``{id, title}``, ``channel_id``,
   ``thread_ts``) shares them, refusing ids never issued or never uploaded, and a wrong length.

``uploads`` holds what was shared: one ``Upload`` per file, with its bytes and where it went.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Upload:
    """A file shared by ``files.completeUploadExternal``."""

    file_id: str
    filename: str
    title: str
    content: bytes
    channel: str | None
    thread_ts: str | None


class FakeFiles:
    """Upload state of one FakeSlack; ``base_url`` gives the fake's address once it runs."""

    def __init__(self, base_url: Callable[[], str], channels: Callable[[], dict[str, Any]]) -> None:
        self._base_url = base_url
        self._channels = channels
        self._ids = itertools.count(1)
        self._pending: dict[str, dict[str, Any]] = {}
        self.uploads: list[Upload] = []

    def methods(self) -> dict[str, Handler]:
        return {
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete,
        }

    async def receive(self, request: web.Request) -> web.Response:
        """Step 2: the bytes, at the URL step 1 gave."""
        pending = self._pending.get(request.match_info["file_id"])
        if pending is None:
            return web.Response(status=404, text="Not Found")
        pending["content"] = await request.read()
        return web.Response(text=f"OK - {len(pending['content'])}")

    def _get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = args.get("filename")
        try:
            length = int(args.get("length", ""))
        except ValueError:
            length = -1
        if not filename or length < 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self._pending[file_id] = {"filename": str(filename), "length": length, "content": None}
        return {"ok": True, "upload_url": f"{self._base_url()}/upload/{file_id}", "file_id": file_id}

    def _complete(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(args.get("files") or "[]")
        except json.JSONDecodeError:
            return {"ok": False, "error": "invalid_arguments"}
        channel = args.get("channel_id")
        if channel and channel not in self._channels():
            return {"ok": False, "error": "channel_not_found"}
        if not files or not all(isinstance(f, dict) and f.get("id") in self._pending for f in files):
            return {"ok": False, "error": "file_not_found"}
        for entry in files:
            pending = self._pending[entry["id"]]
            if pending["content"] is None or len(pending["content"]) != pending["length"]:
                return {"ok": False, "error": "file_upload_size_mismatch"}
        shared = []
        for entry in files:
            pending = self._pending.pop(entry["id"])
            upload = Upload(
                file_id=entry["id"],
                filename=pending["filename"],
                title=str(entry.get("title") or pending["filename"]),
                content=pending["content"],
                channel=channel,
                thread_ts=args.get("thread_ts"),
            )
            self.uploads.append(upload)
            png = upload.filename.endswith(".png")
            shared.append(
                {
                    "id": upload.file_id,
                    "name": upload.filename,
                    "title": upload.title,
                    "mimetype": "image/png" if png else "application/octet-stream",
                    "size": len(upload.content),
                }
            )
        return {"ok": True, "files": shared}
