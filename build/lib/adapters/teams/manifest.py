"""The Teams app package: ``manifests/teams/manifest.json`` with the app id filled in, and its icons.

``build_package`` checks the manifest against the fields Teams requires (``problems``) and the
icons against their required sizes before it writes the zip Teams accepts (the three files at the
root). No Bot Framework type is needed here.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image

from assistant.errors import InvalidInputError

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests" / "teams"
PLACEHOLDER = "{{MICROSOFT_APP_ID}}"
ICON_SIZES = {"color": (192, 192), "outline": (32, 32)}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SCOPES = frozenset({"personal", "team", "groupChat"})
#: (path, maximum length) of every string Teams requires.
_REQUIRED_TEXT = (
    (("manifestVersion",), 16),
    (("developer", "name"), 32),
    (("developer", "websiteUrl"), 2048),
    (("developer", "privacyUrl"), 2048),
    (("developer", "termsOfUseUrl"), 2048),
    (("name", "short"), 30),
    (("name", "full"), 100),
    (("description", "short"), 80),
    (("description", "full"), 4000),
    (("icons", "color"), 2048),
    (("icons", "outline"), 2048),
)


def is_app_id(value: str) -> bool:
    return bool(_GUID.match(value))


def _get(manifest: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = manifest
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def problems(manifest: dict[str, Any]) -> list[str]:
    """What Teams would reject in ``manifest`` (an empty list when it is fine)."""
    found = []
    for path, limit in _REQUIRED_TEXT:
        value = _get(manifest, path)
        name = ".".join(path)
        if not isinstance(value, str) or not value.strip():
            found.append(f"{name} is required")
        elif len(value) > limit:
            found.append(f"{name} is longer than {limit} characters")
        elif name.endswith("Url") and not value.startswith("https://"):
            found.append(f"{name} must be an https URL")
    if not _VERSION.match(str(manifest.get("version", ""))):
        found.append("version must look like 1.0.0")
    if not is_app_id(str(manifest.get("id", ""))):
        found.append("id must be the app id (a GUID)")
    if not _COLOR.match(str(manifest.get("accentColor", ""))):
        found.append("accentColor must look like #4F6BED")
    bots = manifest.get("bots")
    if not isinstance(bots, list) or not bots:
        found.append("bots must list the bot")
    else:
        for bot in bots:
            if not is_app_id(str(bot.get("botId", ""))):
                found.append("bots[].botId must be the bot's app id (a GUID)")
            scopes = bot.get("scopes")
            if not isinstance(scopes, list) or not scopes or not set(scopes) <= _SCOPES:
                found.append(f"bots[].scopes must be some of {sorted(_SCOPES)}")
    return found


def fill_in(template: str, app_id: str) -> dict[str, Any]:
    """The manifest with ``app_id`` as the app's id, the bot's id and the RSC application id."""
    if not is_app_id(app_id):
        raise InvalidInputError(f"{app_id!r} is not an app id: MICROSOFT_APP_ID is a GUID.")
    manifest: dict[str, Any] = json.loads(template.replace(PLACEHOLDER, app_id))
    return manifest


def _icon(path: Path, kind: str) -> bytes:
    if not path.is_file():
        raise InvalidInputError(f"The {kind} icon {path} is missing.")
    data = path.read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        if image.size != ICON_SIZES[kind] or image.format != "PNG":
            raise InvalidInputError(f"The {kind} icon must be a {ICON_SIZES[kind][0]}px square PNG.")
    return data


def build_package(app_id: str, output: Path, *, source: Path = MANIFESTS) -> dict[str, Any]:
    """Write the app package zip to ``output``; returns the manifest it holds."""
    manifest = fill_in((source / "manifest.json").read_text(encoding="utf-8"), app_id)
    found = problems(manifest)
    if found:
        raise InvalidInputError("The Teams manifest is not valid:\n  " + "\n  ".join(found))
    icons = {kind: _icon(source / str(manifest["icons"][kind]), kind) for kind in ICON_SIZES}
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for kind, data in icons.items():
            package.writestr(str(manifest["icons"][kind]), data)
    return manifest


__all__ = ["MANIFESTS", "build_package", "fill_in", "is_app_id", "problems"]
