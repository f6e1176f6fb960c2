"""API schemas shared by the HTTP views and the CLI (pydantic; table models live in storage)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from beacons.model import BeaconId, BeaconPlacement

Lang = Literal["de", "en"]
ProfileName = Literal["blind_cane", "guide_dog", "low_vision", "wheelchair"]


#: How apps write a beacon's identity; the REST bodies and the WebSocket's scans share them.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
NAMESPACE_PATTERN = r"^[0-9a-fA-F]{20}$"
INSTANCE_PATTERN = r"^[0-9a-fA-F]{12}$"
ONE_IDENTITY = 'give "uuid", "major", "minor" (iBeacon) or "namespace", "instance" (Eddystone-UID)'


def is_one_identity(uuid: str | None, major: int | None, minor: int | None,
                    namespace: str | None, instance: str | None) -> bool:
    """All three iBeacon parts and no Eddystone part, or the other way round."""
    ib = (uuid is not None, major is not None, minor is not None)
    ed = (namespace is not None, instance is not None)
    return (all(ib) and not any(ed)) or (all(ed) and not any(ib))


def identity_beacon_id(uuid: str | None, major: int | None, minor: int | None,
                       namespace: str | None, instance: str | None) -> BeaconId:
    """The :class:`BeaconId` of a checked identity (:func:`is_one_identity`)."""
    if uuid is not None:
        return BeaconId.ibeacon(uuid, major or 0, minor or 0)
    return BeaconId.eddystone(namespace or "", instance or "")


class BeaconIdentity(BaseModel):
    """A beacon as apps name it: iBeacon uuid/major/minor or Eddystone namespace/instance."""

    model_config = ConfigDict(extra="forbid")
    uuid: str | None = Field(default=None, pattern=UUID_PATTERN)
    major: int | None = Field(default=None, ge=0, le=65535)
    minor: int | None = Field(default=None, ge=0, le=65535)
    namespace: str | None = Field(default=None, pattern=NAMESPACE_PATTERN)
    instance: str | None = Field(default=None, pattern=INSTANCE_PATTERN)

    @model_validator(mode="after")
    def _one_identity(self) -> BeaconIdentity:
        if not is_one_identity(self.uuid, self.major, self.minor, self.namespace, self.instance):
            raise ValueError(ONE_IDENTITY)
        return self

    def beacon_id(self) -> BeaconId:
        return identity_beacon_id(self.uuid, self.major, self.minor, self.namespace,
                                  self.instance)


class LatLon(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class PointIn(BaseModel):
    """``{"lat", "lon"}``, ``{"place": id}`` (an id from ``GET /v1/places``) or, as a
    destination with a timetable, ``{"stop", "line", "towards"}`` (the pole where that line
    leaves in that direction: :mod:`navigator.boarding`)."""

    model_config = ConfigDict(extra="forbid")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    place: int | None = None
    stop: str | None = Field(default=None, min_length=1, max_length=200)
    line: str | None = Field(default=None, min_length=1, max_length=50)
    towards: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_form(self) -> PointIn:
        has_coords = self.lat is not None and self.lon is not None
        has_trip = self.stop is not None and self.line is not None and self.towards is not None
        some_trip = self.stop is not None or self.line is not None or self.towards is not None
        if ((has_coords + (self.place is not None) + has_trip) != 1
                or (self.lat is None) != (self.lon is None) or some_trip != has_trip):
            raise ValueError('give either "lat" and "lon", or "place", or "stop", "line" and '
                             '"towards"')
        return self


class RouteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: PointIn = Field(alias="from")
    to: PointIn
    profile: ProfileName = "blind_cane"
    lang: Lang = "de"
    alternatives: int = Field(default=0, ge=0, le=2,
                              description="up to this many other routes, each with its trade-off")


class ManeuverOut(BaseModel):
    kind: str
    distance_m: float
    angle_deg: float | None = None
    at: LatLon
    text: str
    audio_url: str | None = None
    attributes: dict[str, Any]


class LineString(BaseModel):
    type: Literal["LineString"]
    coordinates: list[list[float]]


class SimplicityOut(BaseModel):
    """How simple the route is to walk (routing.simplicity.SimplicityReport)."""

    decision_points: int
    turns: int
    turns_per_km: float
    street_changes: int
    crossings: dict[str, int]
    steps: int
    tactile_share: float
    unknown_m: dict[str, float]
    unknown_crossings: dict[str, int]


class _RouteFields(BaseModel):
    route_id: str
    profile: str
    length_m: float
    duration_s: float
    geometry: LineString
    maneuvers: list[ManeuverOut]
    warnings: list[str]
    simplicity: SimplicityOut | None = None
    tradeoff: str | None = Field(default=None, description=(
        "in words, against the recommended route (set when alternatives were asked for)"))


class AlternativeOut(_RouteFields):
    """Another route than the recommended one; its ``tradeoff`` says what it gives and takes."""


class RouteOut(_RouteFields):
    alternatives: list[AlternativeOut] = Field(default_factory=list)


class PlaceOut(BaseModel):
    id: int
    name: str
    kind: str
    lat: float
    lon: float


class PlacesQuery(BaseModel):
    q: str = Field(min_length=1, max_length=100)
    limit: int = Field(default=20, ge=1, le=100)


def placement_json(p: BeaconPlacement) -> dict[str, Any]:
    """A beacon as the API shows it: uuid/major/minor or namespace/instance spelled out."""
    return {"kind": p.beacon.kind.value, **p.beacon.to_json(), "lat": p.lat, "lon": p.lon,
            "level": p.level, "measured_power": p.measured_power_dbm}
