"""Mapper routes (role mapper or admin): audited CRUD on the map, closures, revisions, import."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from beacons.model import BeaconId, BeaconKind
from navigator import api
from navigator import app as app_mod
from navigator.schemas import BeaconIdentity
from navigator.storage import (
    EditConflict,
    InvalidEdit,
    MapChange,
    MapEditor,
    NotFound,
    StaleRevision,
    StorageError,
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


#: Ids, references and offsets are stored as 64-bit integers; a larger number cannot name
#: anything, and passing it to the database driver would fail (OverflowError -> 500).
DB_INT_MAX = 2**63 - 1
#: Client-chosen ids stay JSON-safe (2**53 - 1, exact in JavaScript); that also leaves room for
#: the next assigned id (max + 1) to fit in 64 bits.
MAX_NEW_ID = 2**53 - 1


class Paging(BaseModel):
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=DB_INT_MAX)


# --------------------------------------------------------------------------- schemas


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Placed(Strict):
    """Where a mapped point is: WGS84 and an optional floor level."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    level: float | None = Field(default=None, ge=-20, le=200)


class NodeCreate(Placed):
    id: int | None = Field(default=None, ge=1, le=MAX_NEW_ID)


class EdgeCreate(Strict):
    id: int | None = Field(default=None, ge=1, le=MAX_NEW_ID)
    u: int = Field(ge=-DB_INT_MAX, le=DB_INT_MAX)
    v: int = Field(ge=-DB_INT_MAX, le=DB_INT_MAX)
    length_m: float | None = Field(
        default=None, gt=0, le=10_000, description="metres; computed from the nodes when omitted"
    )
    highway: Highway = "footway"  # type: ignore[valid-type]
    name: str | None = Field(default=None, max_length=200)
    footway: Literal["sidewalk", "crossing", "access_aisle", "link"] | None = None
    sidewalk: Literal["both", "left", "right", "separate", "no"] | None = None
    crossing: Crossing | None = None
    crossing_island: bool | None = None
    traffic_signals_sound: bool | None = None
    traffic_signals_vibration: bool | None = None
    tactile_paving: bool | None = None
    kerb: Kerb | None = None
    kerb_height_m: float | None = Field(default=None, ge=0, le=1)
    step_count: int | None = Field(default=None, ge=1, le=1000)
    handrail: bool | None = None
    incline: Literal["up", "down"] | None = None
    surface: Surface | None = None
    smoothness: Smoothness | None = None
    width_m: float | None = Field(default=None, gt=0, le=100)
    lit: bool | None = None
    level: str | None = Field(default=None, max_length=20)


class BeaconCreate(BeaconIdentity, Placed):
    measured_power: float = Field(default=-59.0, ge=-127, le=20, description="dBm at 1 m")


class LandmarkCreate(Placed):
    id: int | None = Field(default=None, ge=1, le=MAX_NEW_ID)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["shop", "amenity", "stop", "entrance", "tourism", "other"] = "other"


class ClosureCreate(Strict):
    edge_id: int = Field(ge=-DB_INT_MAX, le=DB_INT_MAX)
    reason: str = Field(default="", max_length=500)
    starts_ts: float | None = Field(default=None, ge=0, description="unix seconds; default now")
    ends_ts: float | None = Field(default=None, ge=0, description="unix seconds; None: open-ended")

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


def beacon_values(body: BaseModel) -> dict[str, Any]:
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
    """A stored beacon as shared/API.md shows it."""
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
    to_values: Callable[[BaseModel], dict[str, Any]]
    public: Callable[[dict[str, Any]], dict[str, Any]]


def _plain_values(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(exclude_none=False)


def _identity(row: dict[str, Any]) -> dict[str, Any]:
    return row


def _closure_values(body: BaseModel) -> dict[str, Any]:
    values = body.model_dump()
    values["starts_ts"] = values["starts_ts"] if values["starts_ts"] is not None else time.time()
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
    app = request.app
    storage = app[app_mod.STORAGE]
    try:
        change = await asyncio.to_thread(fn, *args, request[api.CALLER].actor)
    except StorageError as err:
        raise storage_error(err) from None
    await asyncio.to_thread(
        app[app_mod.MAP].apply, change, storage.load_beacons, storage.load_closures
    )
    app_mod.mark_applied(app, [change.revision_id])
    return change


def _with_etag(data: dict[str, Any], status: int = 200) -> web.Response:
    headers = {"ETag": f'"{data["revision"]}"'} if data.get("revision") is not None else None
    return api.json_response(data, status=status, headers=headers)


def register(spec: EntitySpec) -> None:
    """Declare list/create/get/patch/delete for one entity (one code path for all five kinds)."""
    name = spec.entity

    async def list_(request: web.Request, query: Paging) -> web.Response:
        editor = MapEditor(request.app[app_mod.STORAGE])
        rows = await asyncio.to_thread(editor.list_rows, name, query.limit, query.offset)
        return api.json_response([spec.public(r) for r in rows])

    async def create(request: web.Request, body: BaseModel) -> web.Response:
        editor = MapEditor(request.app[app_mod.STORAGE])
        change = await commit(request, editor.create, name, spec.to_values(body))
        return _with_etag(spec.public(change.after or {}), status=201)

    async def get(request: web.Request) -> web.Response:
        editor = MapEditor(request.app[app_mod.STORAGE])
        try:
            row = await asyncio.to_thread(editor.get, name, entity_id(request))
        except StorageError as err:
            raise storage_error(err) from None
        return _with_etag(spec.public(row))

    async def patch(request: web.Request, body: BaseModel) -> web.Response:
        editor = MapEditor(request.app[app_mod.STORAGE])
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
        editor = MapEditor(request.app[app_mod.STORAGE])
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
    editor = MapEditor(request.app[app_mod.STORAGE])
    return api.json_response(await asyncio.to_thread(editor.revisions, query.limit, query.offset))


@routes.route(
    "POST",
    "/v1/map/revisions/{id}/revert",
    role=MAPPER,
    summary="Undo one revision (itself audited; a revert can be reverted)",
    errors=(404, 409, 422),
)
async def revert(request: web.Request) -> web.Response:
    editor = MapEditor(request.app[app_mod.STORAGE])
    change = await commit(request, editor.revert, entity_id(request))
    return api.json_response(
        {"revision_id": change.revision_id, "entity": change.entity, "after": change.after}
    )


# --------------------------------------------------------------------------- whole-map operations


class ImportQuery(BaseModel):
    replace: bool = False


class ImportResult(BaseModel):
    nodes: int
    edges: int
    places: int


_OSM_SUFFIX = {b"\x1f\x8b": ".osm.gz", b"BZ": ".osm.bz2", b"<?": ".osm", b"<o": ".osm"}


@routes.route(
    "POST",
    "/v1/map/import",
    role=MAPPER,
    query=ImportQuery,
    raw_body="application/octet-stream",
    response=ImportResult,
    summary="Import an OSM file (.osm, .gz, .bz2, .pbf) as the map",
    errors=(409, 413, 422),
)
async def import_map(request: web.Request, query: ImportQuery) -> web.Response:
    import tempfile
    from pathlib import Path

    from navigator.importjob import ImportFailed, ImportJob, run_import

    app = request.app
    storage, mapstate, settings = app[app_mod.STORAGE], app[app_mod.MAP], app[app_mod.SETTINGS]
    data = await api.read_body(request, int(settings.import_upload_mb * 1024 * 1024))
    if not data:
        raise api.ApiError(422, "invalid_osm", "the request body must be an OSM file")
    suffix = _OSM_SUFFIX.get(data[:2], ".osm.pbf")
    # one import at a time: two parsing at once double the memory, and each one's reload must
    # see the other's commit in order (MapState.reload)
    async with app[app_mod.IMPORTS]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            del data
            job = ImportJob(storage.url, str(path), query.replace, request[api.CALLER].actor,
                            settings.import_limits, settings.import_memory_mb)
            try:
                counts = await run_import(job, settings.import_timeout_s)
            except ImportFailed as err:
                if err.committing:  # cut off while committing: load whatever is stored now
                    await asyncio.to_thread(mapstate.reload, storage.load_map)
                raise api.ApiError(err.status, err.code, str(err)) from None
        snapshot = await asyncio.to_thread(mapstate.reload, storage.load_map)
    # the reload holds these: no second one from sync
    app_mod.mark_applied(app, snapshot.revision_ids)
    return api.json_response(counts)


@routes.route(
    "GET",
    "/v1/map/export.geojson",
    role=MAPPER,
    summary="The whole map as GeoJSON (nodes, edges with attributes, landmarks, beacons)",
)
async def export_map(request: web.Request) -> web.Response:
    from navigator.mapexport import map_geojson

    mapstate = request.app[app_mod.MAP]
    with mapstate.lock:
        doc = map_geojson(mapstate.graph, list(mapstate.places.values()), mapstate.beacons)
    return web.json_response(doc, content_type="application/geo+json")


@routes.route(
    "GET",
    "/v1/map/validation",
    role=MAPPER,
    summary="What to fix: islands, missing tags, unknown signals, beacon coverage",
)
async def validate_map(request: web.Request) -> web.Response:
    from beacons.coverage import beacons_far_from_edges, uncovered_decision_points
    from routing import validation

    mapstate = request.app[app_mod.MAP]

    def run() -> dict[str, Any]:
        with mapstate.lock:
            graph, pmap = mapstate.graph, mapstate.positioning_map()
            missing_count, missing = validation.edges_missing_tags(graph)
            return {
                "disconnected_components": validation.disconnected_components(graph),
                "edges_missing_tags": {"count": missing_count, "first": missing},
                "crossings_without_signal_info": validation.crossings_without_signal_info(graph),
                "beacons_far_from_edges": beacons_far_from_edges(pmap),
                "decision_points_without_beacon": uncovered_decision_points(graph, pmap),
            }

    return api.json_response(await asyncio.to_thread(run))


class BeaconPlanRequest(Strict):
    spacing_m: float = Field(default=10.0, ge=1, le=200)
    measured_power: float = Field(default=-59.0, ge=-127, le=20)
    apply: bool = False


@routes.route(
    "POST",
    "/v1/map/beacon-plan",
    role=MAPPER,
    body=BeaconPlanRequest,
    summary="Propose (or store, with apply) a beacon layout",
)
async def beacon_plan(request: web.Request, body: BeaconPlanRequest) -> web.Response:
    from beacons.planning import plan_beacons
    from navigator.schemas import placement_json

    app = request.app
    mapstate, storage = app[app_mod.MAP], app[app_mod.STORAGE]

    def plan() -> list[Any]:
        with mapstate.lock:
            return plan_beacons(mapstate.graph, body.spacing_m, body.measured_power)

    layout = await asyncio.to_thread(plan)
    if body.apply:
        revision = await asyncio.to_thread(storage.replace_beacons, layout,
                                           actor=request[api.CALLER].actor)
        mapstate.set_beacons(layout)
        app_mod.mark_applied(app, [revision])
    return api.json_response(
        {
            "applied": body.apply,
            "count": len(layout),
            "beacons": [placement_json(p) for p in layout],
        }
    )


class HealthQuery(BaseModel):
    silent_hours: float = Field(default=24.0, gt=0, le=24 * 365)
    silent_only: bool = False
    limit: int = Field(default=10_000, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0, le=2**31)


@routes.route(
    "GET",
    "/v1/beacons/health",
    role=MAPPER,
    query=HealthQuery,
    summary="Last seen, battery and temperature per beacon; silent ones first. Paged by "
            "limit/offset; X-Total-Count and X-Silent-Count give the totals",
)
async def beacons_health(request: web.Request, query: HealthQuery) -> web.Response:
    now = time.time()
    rows, total, silent = await asyncio.to_thread(
        request.app[app_mod.STORAGE].beacon_health, now - query.silent_hours * 3600,
        silent_only=query.silent_only, limit=query.limit, offset=query.offset)
    out = []
    for row in rows:
        seen = row["last_seen_ts"]
        item = beacon_public(row)
        item["silent"] = bool(row["silent"])
        item["silent_for_h"] = None if seen is None else round((now - seen) / 3600, 2)
        out.append(item)
    return api.json_response(out, headers={"X-Total-Count": str(total),
                                           "X-Silent-Count": str(silent)})


# --------------------------------------------------------------------------- admin

admin_routes = api.RouteTable("admin")


class KeyCreate(Strict):
    role: Literal["pedestrian", "mapper", "tester", "admin"]


class KeyCreated(BaseModel):
    key: str
    role: str


@admin_routes.route(
    "POST",
    "/v1/keys",
    role="admin",
    body=KeyCreate,
    response=KeyCreated,
    status=201,
    summary="Create an API key (shown once, stored hashed)",
)
async def create_key(request: web.Request, body: KeyCreate) -> web.Response:
    key = await asyncio.to_thread(request.app[app_mod.STORAGE].create_api_key, body.role)
    return api.json_response({"key": key, "role": body.role}, status=201)
