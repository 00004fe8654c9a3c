"""A fake of HubSpot's CRM v3 API (companies, company properties, notes, owners) on loopback.

Shapes from the CRM v3 reference: objects are ``{"id", "properties", "createdAt", "updatedAt",
"archived"}`` and a read returns only the requested ``properties`` (plus ``hs_object_id``);
search answers ``{"total", "results"}``; a property definition is ``{"name", "label", "type",
"fieldType", "groupName", …}``; errors are ``{"status": "error", "message", "correlationId",
"category"}`` (401 ``INVALID_AUTHENTICATION``, 404 ``OBJECT_NOT_FOUND``, 400 ``VALIDATION_ERROR``
for a value of a property that does not exist). Private-app tokens are bearer tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.http_service import FakeHttpService

BUILT_IN = {"name", "domain", "hubspot_owner_id", "annualrevenue", "plan", "renewal_date", "tier"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _error(status: int, category: str, message: str) -> web.Response:
    return web.json_response(
        {"status": "error", "message": message, "correlationId": "00000000-0000", "category": category},
        status=status,
    )


class FakeHubSpot(FakeHttpService):
    def __init__(self, *, token: str = "pat-na1-test") -> None:
        super().__init__()
        self.token = token
        self.companies: dict[str, dict[str, str]] = {}
        self.properties: dict[str, dict[str, Any]] = {
            name: {"name": name, "type": "string"} for name in BUILT_IN
        }
        self.notes: list[dict[str, Any]] = []
        self.owners: dict[str, dict[str, Any]] = {}

    def authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> web.Response:
        return _error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/crm/v3/objects/companies", self._list)
        app.router.add_post("/crm/v3/objects/companies/search", self._search)
        app.router.add_get("/crm/v3/objects/companies/{id}", self._get)
        app.router.add_patch("/crm/v3/objects/companies/{id}", self._patch)
        app.router.add_get("/crm/v3/properties/companies/{name}", self._property)
        app.router.add_post("/crm/v3/properties/companies", self._create_property)
        app.router.add_post("/crm/v3/objects/notes", self._note)
        app.router.add_get("/crm/v3/owners/{id}", self._owner)

    def _object(self, company_id: str, wanted: list[str] | None) -> dict[str, Any]:
        props = self.companies[company_id]
        shown = {k: v for k, v in props.items() if wanted is None or k in wanted}
        shown["hs_object_id"] = company_id
        return {
            "id": company_id,
            "properties": shown,
            "createdAt": _now(),
            "updatedAt": _now(),
            "archived": False,
        }

    async def _list(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", 10))
        return web.json_response(
            {"results": [self._object(i, ["name"]) for i in list(self.companies)[:limit]]}
        )

    async def _search(self, request: web.Request) -> web.Response:
        body = await request.json()
        filters = [f for group in body.get("filterGroups", []) for f in group.get("filters", [])]
        found = [
            cid for cid, props in self.companies.items()
            if all(f.get("operator") == "EQ" and props.get(f["propertyName"]) == f["value"] for f in filters)
        ]  # fmt: skip
        results = [self._object(cid, body.get("properties")) for cid in found[: body.get("limit", 10)]]
        return web.json_response({"total": len(found), "results": results})

    async def _get(self, request: web.Request) -> web.Response:
        cid = request.match_info["id"]
        if cid not in self.companies:
            return _error(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
        wanted = request.query.get("properties")
        return web.json_response(self._object(cid, wanted.split(",") if wanted else ["name", "domain"]))

    async def _patch(self, request: web.Request) -> web.Response:
        cid = request.match_info["id"]
        if cid not in self.companies:
            return _error(404, "OBJECT_NOT_FOUND", "Object not found.")
        values = (await request.json()).get("properties") or {}
        unknown = [name for name in values if name not in self.properties]
        if unknown:
            return _error(400, "VALIDATION_ERROR", f"Property values were not valid: {unknown} do not exist")
        self.companies[cid].update({k: str(v) for k, v in values.items()})
        return web.json_response(self._object(cid, list(values)))

    async def _property(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.properties:
            return _error(404, "OBJECT_NOT_FOUND", f"Unable to find property {name}")
        return web.json_response(self.properties[name])

    async def _create_property(self, request: web.Request) -> web.Response:
        spec = await request.json()
        if not all(spec.get(k) for k in ("name", "label", "type", "fieldType", "groupName")):
            return _error(400, "VALIDATION_ERROR", "name, label, type, fieldType and groupName are required")
        if spec["name"] in self.properties:
            return _error(409, "OBJECT_ALREADY_EXISTS", f"A property named '{spec['name']}' already exists.")
        self.properties[spec["name"]] = spec
        return web.json_response(spec, status=201)

    async def _note(self, request: web.Request) -> web.Response:
        body = await request.json()
        props = body.get("properties") or {}
        if "hs_timestamp" not in props:
            return _error(400, "VALIDATION_ERROR", "hs_timestamp is required")
        note = {
            "id": str(900 + len(self.notes)),
            "properties": props,
            "associations": body.get("associations", []),
        }
        self.notes.append(note)
        return web.json_response({"id": note["id"], "properties": props, "createdAt": _now()}, status=201)

    async def _owner(self, request: web.Request) -> web.Response:
        owner = self.owners.get(request.match_info["id"])
        if owner is None:
            return _error(404, "OBJECT_NOT_FOUND", "Owner not found")
        return web.json_response(owner)
