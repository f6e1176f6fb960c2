"""Mapper routes (role mapper or admin) for single map objects: audited CRUD on nodes, edges,
beacons, landmarks and closures, the audit log and revert. Their request schemas are
:mod:`navigator.mapschemas`, the way an edit is committed :mod:`navigator.mapedits`; operations on
more than one object (edge split, import, export, validation, beacon plan and health) are
:mod:`navigator.mapops`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from beacons.model import BeaconId, BeaconKind
from navigator import api
from navigator.keys import STORAGE
from navigator.mapedits import commit, entity_id, if_match, storage_error
from navigator.mapschemas import (
    BeaconCreate,
    BeaconQuery,
    BeaconUpdate,
    ClosureCreate,
    EdgeCreate,
    EdgeUpdate,
    LandmarkCreate,
    LandmarkUpdate,
    NodeCreate,
    NodeUpdate,
    Paging,
)
from navigator.storage import InvalidEdit, MapEditor, StorageError

routes = api.RouteTable("mapper")
MAPPER = "mapper"

# --------------------------------------------------------------------------- row shaping


def beacon_values(body: BaseModel, actor: str | None, now_ts: float) -> dict[str, Any]:
    """Stored columns of a new beacon (its canonical identity computed once, here)."""
    assert isinstance(body, BeaconCreate)
    bid = body.beacon_id()
    return {
        "kind": bid.kind.value,
        "ident": bid.ident,
        "lat": body.lat,
        "lon": body.lon,
        "level": body.level,
        "measured_power": body.measured_power,
    }


def beacon_public(row: dict[str, Any]) -> dict[str, Any]:
    """A stored beacon as docs/API.md shows it."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        **BeaconId(BeaconKind(row["kind"]), row["ident"]).to_json(),
        "lat": row["lat"],
        "lon": row["lon"],
        "level": row["level"],
        "measured_power": row["measured_power"],
        "last_seen": row["last_seen_ts"],
        "battery_mv": row["battery_mv"],
        "temperature_c": row["temperature_c"],
        "revision": row["revision"],
    }


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """How one map entity is exposed: its URL, schemas and row shaping."""

    entity: str
    path: str
    create: type[BaseModel]
    update: type[BaseModel] | None
    #: The stored columns of a new one, from the body, the caller's key prefix and the time.
    to_values: Callable[[BaseModel, str | None, float], dict[str, Any]]
    public: Callable[[dict[str, Any]], dict[str, Any]]
    #: What its list may be narrowed by, besides paging.
    query: type[Paging] = Paging


def _plain_values(body: BaseModel, actor: str | None, now_ts: float) -> dict[str, Any]:
    return body.model_dump(exclude_none=False)


def _identity(row: dict[str, Any]) -> dict[str, Any]:
    return row


def _closure_values(body: BaseModel, actor: str | None, now_ts: float) -> dict[str, Any]:
    """A closure starts now unless told otherwise, and must end after it starts (the schema
    checks an explicit start; this the default one: an end already past made a closure that
    never applied, accepted without a word). It remembers the key that made it."""
    values = body.model_dump()
    if values["starts_ts"] is None:
        values["starts_ts"] = now_ts
    ends = values["ends_ts"]
    if ends is not None and ends <= values["starts_ts"]:
        raise InvalidEdit(f"ends_ts {ends:g} is not after the closure's start "
                          f"{values['starts_ts']:g} (starts_ts, or now when it is left out)",
                          field="ends_ts")
    values["created_by"] = actor
    return values


SPECS = (
    EntitySpec("node", "/v1/map/nodes", NodeCreate, NodeUpdate, _plain_values, _identity),
    EntitySpec("edge", "/v1/map/edges", EdgeCreate, EdgeUpdate, _plain_values, _identity),
    EntitySpec(
        "beacon", "/v1/map/beacons", BeaconCreate, BeaconUpdate, beacon_values, beacon_public,
        BeaconQuery,
    ),
    EntitySpec(
        "landmark", "/v1/map/landmarks", LandmarkCreate, LandmarkUpdate, _plain_values, _identity
    ),
    EntitySpec("closure", "/v1/map/closures", ClosureCreate, None, _closure_values, _identity),
)


# --------------------------------------------------------------------------- handlers

def _with_etag(data: dict[str, Any], status: int = 200) -> web.Response:
    headers = {"ETag": f'"{data["revision"]}"'} if data.get("revision") is not None else None
    return api.json_response(data, status=status, headers=headers)


def register(spec: EntitySpec) -> None:
    """Declare list/create/get/patch/delete for one entity (one code path for all five kinds)."""
    name = spec.entity

    async def list_(request: web.Request, query: Paging) -> web.Response:
        editor = MapEditor(request.app[STORAGE])
        rows = await asyncio.to_thread(editor.list_rows, name, query.limit, query.offset,
                                       query.filters())
        return api.json_response([spec.public(r) for r in rows])

    async def create(request: web.Request, body: BaseModel) -> web.Response:
        editor = MapEditor(request.app[STORAGE])
        try:
            values = spec.to_values(body, request[api.CALLER].actor, time.time())
        except StorageError as err:
            raise storage_error(err) from None
        change = await commit(request, editor.create, name, values)
        return _with_etag(spec.public(change.after or {}), status=201)

    async def get(request: web.Request) -> web.Response:
        editor = MapEditor(request.app[STORAGE])
        try:
            row = await asyncio.to_thread(editor.get, name, entity_id(request))
        except StorageError as err:
            raise storage_error(err) from None
        return _with_etag(spec.public(row))

    async def patch(request: web.Request, body: BaseModel) -> web.Response:
        editor = MapEditor(request.app[STORAGE])
        changes = body.model_dump(exclude_unset=True)
        if not changes:
            raise api.ApiError(422, "invalid_input", "the patch changes nothing")
        change = await commit(
            request,
            editor.update,
            name,
            entity_id(request),
            changes,
            if_match(request, required=True),
        )
        return _with_etag(spec.public(change.after or {}))

    async def delete(request: web.Request) -> web.Response:
        editor = MapEditor(request.app[STORAGE])
        await commit(
            request, editor.delete, name, entity_id(request), if_match(request, required=False)
        )
        return web.Response(status=204)

    item = spec.path + "/{id}"
    routes.route("GET", spec.path, role=MAPPER, summary=f"List {name}s",
                 query=spec.query)(list_)
    routes.route(
        "POST",
        spec.path,
        role=MAPPER,
        summary=f"Create a {name} (audited)",
        body=spec.create,
        status=201,
        errors=(409,),
    )(create)
    routes.route("GET", item, role=MAPPER, summary=f"Get one {name}", errors=(404,))(get)
    if spec.update is not None:
        routes.route(
            "PATCH",
            item,
            role=MAPPER,
            summary=f"Change a {name} (If-Match: revision)",
            body=spec.update,
            errors=(404, 412, 428),
        )(patch)
    routes.route(
        "DELETE",
        item,
        role=MAPPER,
        summary=f"Delete a {name} (audited)",
        status=204,
        # 400: If-Match is not a revision; 422: a node still has edges.
        errors=(400, 404, 412, 422),
    )(delete)


for _spec in SPECS:
    register(_spec)


@routes.route(
    "GET", "/v1/map/revisions", role=MAPPER, summary="The audit log, newest first", query=Paging
)
async def revisions(request: web.Request, query: Paging) -> web.Response:
    editor = MapEditor(request.app[STORAGE])
    return api.json_response(await asyncio.to_thread(editor.revisions, query.limit, query.offset))


@routes.route(
    "POST",
    "/v1/map/revisions/{id}/revert",
    role=MAPPER,
    summary="Undo one revision (itself audited; a revert can be reverted)",
    errors=(404, 409, 422),
)
async def revert(request: web.Request) -> web.Response:
    editor = MapEditor(request.app[STORAGE])
    change = await commit(request, editor.revert, entity_id(request))
    return api.json_response(
        {"revision_id": change.revision_id, "entity": change.entity, "after": change.after}
    )
