"""Mapper routes (role mapper or admin) for single map objects: their schemas and audited CRUD on
nodes, edges, beacons, landmarks and closures, the audit log and revert. Operations on more than
one object (edge split, import, export, validation, beacon plan and health) are
:mod:`navigator.mapops`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from sqlmodel import SQLModel

from beacons.model import BeaconId, BeaconKind
from navigator import api
from navigator.keys import MAP, MAP_SYNC, STORAGE
from navigator.schemas import BeaconIdentity
from navigator.storage import (
    DB_INT_MAX,
    BeaconBase,
    ClosureBase,
    EdgeBase,
    EditConflict,
    InvalidEdit,
    LandmarkBase,
    MapChange,
    MapEditor,
    NotFound,
    Placed,
    SegmentLength,
    StaleRevision,
    StorageError,
    UnixTime,
)
from routing.tags import FOOT_HIGHWAYS, ROAD_HIGHWAYS

routes = api.RouteTable("mapper")
MAPPER = "mapper"

Highway = Literal[tuple(sorted(FOOT_HIGHWAYS | ROAD_HIGHWAYS))]  # type: ignore[valid-type]
Crossing = Literal["traffic_signals", "uncontrolled", "marked", "unmarked", "zebra", "no"]
Kerb = Literal["flush", "lowered", "rolled", "raised", "no"]
Surface = Literal[
    "asphalt",
    "concrete",
    "paving_stones",
    "sett",
    "cobblestone",
    "unhewn_cobblestone",
    "compacted",
    "fine_gravel",
    "gravel",
    "ground",
    "grass",
    "dirt",
    "sand",
    "wood",
    "metal",
    "paved",
    "unpaved",
]
Smoothness = Literal[
    "excellent",
    "good",
    "intermediate",
    "bad",
    "very_bad",
    "horrible",
    "very_horrible",
    "impassable",
]


#: Client-chosen ids stay JSON-safe (2**53 - 1, exact in JavaScript); that also leaves room for
#: the next assigned id (max + 1) to fit in 64 bits.
MAX_NEW_ID = 2**53 - 1


class Paging(BaseModel):
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=DB_INT_MAX)


# --------------------------------------------------------------------------- schemas
# Each Create schema derives from the storage Base model, which declares every stored field and
# its limits once. A Create adds what only a client sends (a chosen id) and narrows free-text OSM
# attributes to the vocabulary a mapper may type: imported rows keep other tag values.


class Strict(SQLModel):
    """A request body: an unknown field is refused (422), never silently dropped. A SQLModel, so
    that the Create schemas can derive from the storage Base models too."""

    # SQLModel types its config as its own ConfigDict subclass; pydantic merges this one into it
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class ChosenId(Strict):
    """Nodes, edges and landmarks follow OSM ids; a client may choose one for a new object."""

    id: int | None = Field(default=None, ge=1, le=MAX_NEW_ID)


class NodeCreate(Placed, ChosenId):
    pass


class EdgeCreate(EdgeBase, ChosenId):
    length_m: SegmentLength | None = Field(  # type: ignore[assignment]
        default=None, description="metres; computed from the nodes when omitted"
    )
    highway: Highway = "footway"  # type: ignore[valid-type]
    footway: Literal["sidewalk", "crossing", "access_aisle", "link"] | None = None
    sidewalk: Literal["both", "left", "right", "separate", "no"] | None = None
    crossing: Crossing | None = None
    kerb: Kerb | None = None
    incline: Literal["up", "down"] | None = None
    oneway: Literal["yes", "-1", "no"] | None = None
    surface: Surface | None = None
    smoothness: Smoothness | None = None


class BeaconCreate(BeaconIdentity, BeaconBase):  # type: ignore[misc]  # as Strict's config
    pass


class LandmarkCreate(LandmarkBase, ChosenId):
    kind: Literal["shop", "amenity", "stop", "entrance", "tourism", "other"] = "other"


class ClosureCreate(ClosureBase, Strict):
    starts_ts: UnixTime | None = Field(  # type: ignore[assignment]
        default=None, description="unix seconds; default now"
    )

    @model_validator(mode="after")
    def _window(self) -> ClosureCreate:
        start, end = self.starts_ts, self.ends_ts
        if end is not None and start is not None and end <= start:
            raise ValueError("ends_ts must be after starts_ts")
        return self


def _partial(model: type[BaseModel], exclude: tuple[str, ...] = ("id",),
             not_null: tuple[str, ...] = ()) -> type[BaseModel]:
    """The PATCH schema of a create schema: every field optional, none required.

    Optional means "may be left out", not "may be null": a field the create schema does not let
    be null (or one in ``not_null``, stored NOT NULL though computed on create) rejects an
    explicit null with 422 instead of reaching the database's NOT NULL constraint as a 500.
    """
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in exclude:
            continue
        annotation = info.annotation
        if name in not_null:
            annotation = _without_none(annotation)
        nullable = type(None) in get_args(annotation)
        # An absent field is not null: publish no (invalid) "default": null for the non-nullable.
        extra = None if nullable else _drop_default
        fields[name] = (annotation, Field(default=None, json_schema_extra=extra,
                                          **_constraints(info)))
    return create_model(f"{model.__name__.removesuffix('Create')}Update", __base__=Strict, **fields)


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _without_none(annotation: Any) -> Any:
    """``float | None`` -> ``float`` (other annotations unchanged)."""
    args = tuple(a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) in (Union, UnionType) and len(args) == 1:
        return args[0]
    return annotation


def _constraints(info: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for meta in info.metadata:
        for attr in ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern"):
            if getattr(meta, attr, None) is not None:
                out[attr] = getattr(meta, attr)
    return out


NodeUpdate = _partial(NodeCreate)
EdgeUpdate = _partial(EdgeCreate, not_null=("length_m",))
LandmarkUpdate = _partial(LandmarkCreate)
BeaconUpdate = _partial(BeaconCreate, exclude=("uuid", "major", "minor", "namespace", "instance"))


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
        "beacon", "/v1/map/beacons", BeaconCreate, BeaconUpdate, beacon_values, beacon_public
    ),
    EntitySpec(
        "landmark", "/v1/map/landmarks", LandmarkCreate, LandmarkUpdate, _plain_values, _identity
    ),
    EntitySpec("closure", "/v1/map/closures", ClosureCreate, None, _closure_values, _identity),
)


# --------------------------------------------------------------------------- handlers


def storage_error(err: StorageError) -> api.ApiError:
    """Storage refusals as HTTP errors (404/409/412/422) that name the field when there is one."""
    if isinstance(err, InvalidEdit):
        return api.ApiError(422, err.code, str(err), field=err.field)
    if isinstance(err, NotFound | StaleRevision | EditConflict):
        return api.ApiError(err.status, err.code, str(err))
    return api.ApiError(422, "invalid_edit", str(err))


def if_match(request: web.Request, required: bool) -> int | None:
    """The revision a client edits against, from ``If-Match: 3`` or ``If-Match: "3"``."""
    raw = request.headers.get("If-Match")
    if raw is None:
        if required:
            raise api.ApiError(
                428, "revision_required", "send If-Match with the revision you are editing"
            )
        return None
    try:
        return int(raw.strip().strip('"').removeprefix("W/").strip('"'))
    except ValueError:
        raise api.ApiError(400, "invalid_if_match", "If-Match must be a revision number") from None


def entity_id(request: web.Request) -> int:
    try:
        value = int(request.match_info["id"])
    except ValueError:
        raise api.ApiError(404, "not_found", "ids are whole numbers") from None
    if not -DB_INT_MAX <= value <= DB_INT_MAX:
        raise api.ApiError(404, "not_found", "no object has an id this large")
    return value


async def commit(request: web.Request, fn: Callable[..., MapChange], *args: Any) -> MapChange:
    """Run one audited edit, then apply it to the live map (edits never need a restart)."""
    return (await commit_all(request, lambda *a: [fn(*a)], *args))[0]


async def commit_all(
    request: web.Request, fn: Callable[..., list[MapChange]], *args: Any
) -> list[MapChange]:
    """Run one transaction of audited edits, then apply them to the live map in order."""
    app = request.app
    storage = app[STORAGE]
    try:
        changes = await asyncio.to_thread(fn, *args, request[api.CALLER].actor)
    except StorageError as err:
        raise storage_error(err) from None
    for change in changes:
        await asyncio.to_thread(
            app[MAP].apply, change, storage.load_beacons, storage.load_closures
        )
    mark_applied(app, [c.revision_id for c in changes])
    return changes


def mark_applied(app: web.Application, revision_ids: list[int]) -> None:
    """Tell map sync (if on) that this process already has these revisions in its live map."""
    sync = app.get(MAP_SYNC)
    if sync is not None:
        sync.mark_applied(revision_ids)


def _with_etag(data: dict[str, Any], status: int = 200) -> web.Response:
    headers = {"ETag": f'"{data["revision"]}"'} if data.get("revision") is not None else None
    return api.json_response(data, status=status, headers=headers)


def register(spec: EntitySpec) -> None:
    """Declare list/create/get/patch/delete for one entity (one code path for all five kinds)."""
    name = spec.entity

    async def list_(request: web.Request, query: Paging) -> web.Response:
        editor = MapEditor(request.app[STORAGE])
        rows = await asyncio.to_thread(editor.list_rows, name, query.limit, query.offset)
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
    routes.route("GET", spec.path, role=MAPPER, summary=f"List {name}s", query=Paging)(list_)
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
