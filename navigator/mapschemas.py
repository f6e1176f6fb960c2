"""What a mapper may send: the request schemas of single map objects (Create, and Update derived
from it), each built on the storage Base model that declares a stored field's limits once."""

from __future__ import annotations

from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from sqlmodel import SQLModel

from navigator.schemas import BeaconIdentity
from navigator.storage import (
    DB_INT_MAX,
    BeaconBase,
    ClosureBase,
    EdgeBase,
    LandmarkBase,
    Placed,
    SegmentLength,
    UnixTime,
)
from routing.tags import FOOT_HIGHWAYS, ROAD_HIGHWAYS

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

    def filters(self) -> dict[str, Any]:
        """The columns a list is narrowed to (none: every row, paged)."""
        return self.model_dump(exclude={"limit", "offset"}, exclude_none=True)


class BeaconQuery(Paging):
    """Beacons are found by what the radio hears (the map's features and scanners name them so),
    the stored id being the database's own."""

    ident: str | None = Field(
        default=None, min_length=1, max_length=80, pattern=r"^[0-9a-f:-]+$",
        description="canonical identity: uuid:major:minor or namespace:instance (lowercase "
                    "hex), as in the map's features")


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
